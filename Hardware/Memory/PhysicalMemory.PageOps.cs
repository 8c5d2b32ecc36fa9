using IommuSim.Messages;

namespace IommuSim.Hardware.Memory;

// Per-pfn operations for callers that hold a bare pfn (a device doing DMA, an IOMMU page-table
// walk): they find the pool by range and forward. A pfn that is no memory is ENXIO.
public sealed partial class PhysicalMemory
{
    /// <summary>alloc_page() from host RAM; <see cref="Errno.ENOMEM"/> when it is full.</summary>
    public Errno AllocPage(out Pfn pfn) => SystemRam.AllocPage(out pfn);

    /// <summary>
    /// alloc_pages_bulk() from host RAM: fills <paramref name="pfns"/> from the front under one
    /// lock of the pool and returns how many zeroed pages it got (fewer: RAM ran out).
    /// </summary>
    public int AllocPages(Span<Pfn> pfns) => SystemRam.AllocPages(pfns);

    public Errno GetPage(Pfn pfn) => PoolOf(pfn) is { } pool ? pool.GetPage(pfn) : Errno.ENXIO;

    public Errno PutPage(Pfn pfn) => PoolOf(pfn) is { } pool ? pool.PutPage(pfn) : Errno.ENXIO;

    public Errno PinPage(Pfn pfn) => PoolOf(pfn) is { } pool ? pool.PinPage(pfn) : Errno.ENXIO;

    public Errno UnpinPage(Pfn pfn) => PoolOf(pfn) is { } pool ? pool.UnpinPage(pfn) : Errno.ENXIO;

    public Errno UnpinPageDirty(Pfn pfn, bool makeDirty) =>
        PoolOf(pfn) is { } pool ? pool.UnpinPageDirty(pfn, makeDirty) : Errno.ENXIO;

    public Errno SetPageDirty(Pfn pfn) => PoolOf(pfn) is { } pool ? pool.SetPageDirty(pfn) : Errno.ENXIO;

    public Errno TestClearPageDirty(Pfn pfn, out bool wasDirty)
    {
        if (PoolOf(pfn) is { } pool) return pool.TestClearPageDirty(pfn, out wasDirty);
        wasDirty = false;
        return Errno.ENXIO;
    }

    public bool PageDirty(Pfn pfn) => PoolOf(pfn)?.PageDirty(pfn) ?? false;

    public Errno ReadPage(Pfn pfn, out ulong value)
    {
        if (PoolOf(pfn) is { } pool) return pool.ReadPage(pfn, out value);
        value = 0;
        return Errno.ENXIO;
    }

    public Errno WritePage(Pfn pfn, ulong value) => PoolOf(pfn) is { } pool ? pool.WritePage(pfn, value) : Errno.ENXIO;

    /// <summary>
    /// copy_highpage(to, from): copies the contents word, across pools too (migration between
    /// host RAM and device memory). Both frames must be live; on an error nothing is written.
    /// Like the kernel's copy it is not atomic against a concurrent writer of either page.
    /// </summary>
    public Errno CopyPage(Pfn to, Pfn from)
    {
        var src = PoolOf(from);
        var dst = PoolOf(to);
        if (src is null || dst is null) return Errno.ENXIO;
        var err = src.ReadPage(from, out var value);
        if (err != Errno.None) return err;
        return dst.WritePage(to, value);
    }

    public int PageRefCount(Pfn pfn) => PoolOf(pfn)?.PageRefCount(pfn) ?? 0;

    public int PagePinCount(Pfn pfn) => PoolOf(pfn)?.PagePinCount(pfn) ?? 0;

    public int PageGeneration(Pfn pfn) => PoolOf(pfn)?.PageGeneration(pfn) ?? 0;

    public bool IsPageLive(Pfn pfn) => PoolOf(pfn)?.IsPageLive(pfn) ?? false;
}
