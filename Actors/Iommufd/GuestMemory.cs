using IommuSim.Hardware.Memory;
using IommuSim.Messages;

namespace IommuSim.Actors.Iommufd;

/// <summary>
/// A VM's RAM as its VMM holds it: <see cref="Pages"/> host frames, allocated once from
/// <see cref="PhysicalMemory"/> and mapped at <see cref="UserBase"/> in the VMM process (guest
/// RAM from a memfd or hugetlbfs file, populated up front). The IOAS pins these frames for DMA;
/// the live migration copies their contents. The model's choice for iommufd's page source: the
/// frames never move or go away while the memory lives, so a pin is a plain FOLL_PIN on a fixed
/// frame, and the contents a device writes are the frames' own words.
/// </summary>
/// <remarks>
/// Immutable after construction (the pfn array is never written again), so any thread may read it;
/// the frames' contents and counts are PhysicalMemory's, which is thread-safe.
/// </remarks>
public sealed class GuestMemory : IUserMemory, IDisposable
{
    private readonly Pfn[] _pages;
    private readonly List<Pfn> _padding;
    private bool _disposed;

    /// <summary>
    /// Allocates <paramref name="bytes"/> of frames. With <paramref name="alignBytes"/> above 4 KiB
    /// the frames are physically contiguous and aligned to it when host RAM can give that (fresh
    /// RAM does: the bump allocator hands out consecutive frames), so that domains can map the
    /// memory with 2 MiB or 1 GiB IOPTEs, as hugetlbfs-backed guest RAM allows.
    /// </summary>
    public GuestMemory(PhysicalMemory memory, VirtAddr userBase, ulong bytes, ulong alignBytes = 4096)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (bytes == 0 || !PageSize.Size4K.IsAligned(bytes) || !userBase.IsPageAligned)
            throw new ArgumentException("guest memory must be a non-empty, page-aligned range");
        if (!AddressFormat.IsValidRange(userBase.Value, bytes))
            throw new ArgumentException("guest memory wraps the address space");
        Memory = memory;
        UserBase = userBase;
        Bytes = bytes;
        _pages = new Pfn[bytes >> PageSize.BaseShift];
        _padding = SkipToAlignment(memory, alignBytes >> PageSize.BaseShift);
        if (memory.AllocPages(_pages) != _pages.Length)
        {
            foreach (var pfn in _pages.TakeWhile(p => p.Value != 0).Concat(_padding)) memory.PutPage(pfn);
            throw new InvalidOperationException($"host RAM cannot hold {bytes >> 20} MiB of guest memory");
        }
    }

    public PhysicalMemory Memory { get; }

    public VirtAddr UserBase { get; }

    public ulong Bytes { get; }

    public int PageCount => _pages.Length;

    /// <summary>The frames, page i at <see cref="UserBase"/> + i * 4 KiB.</summary>
    public ReadOnlySpan<Pfn> Pages => _pages;

    public Pfn PageAt(int index) => _pages[index];

    public VirtAddr AddressOf(int index) => UserBase + ((ulong)index << PageSize.BaseShift);

    public Errno GetPages(VirtAddr start, ulong length, out Pfn[] pages)
    {
        pages = [];
        if (length == 0 || !AddressFormat.IsValidRange(start.Value, length)) return Errno.EFAULT;
        var first = start.Value >> PageSize.BaseShift;
        var last = (start.Value + (length - 1)) >> PageSize.BaseShift;
        var basePage = UserBase.Value >> PageSize.BaseShift;
        if (first < basePage || last - basePage >= (ulong)_pages.Length) return Errno.EFAULT;
        pages = _pages[(int)(first - basePage)..(int)(last - basePage + 1)];
        return Errno.None;
    }

    /// <summary>The page's one 64-bit word of contents.</summary>
    public ulong Read(int index)
    {
        var error = Memory.ReadPage(_pages[index], out var value);
        if (error != Errno.None) throw new InvalidOperationException($"guest page {index} is not live memory: {error}");
        return value;
    }

    public void Write(int index, ulong value)
    {
        var error = Memory.WritePage(_pages[index], value);
        if (error != Errno.None) throw new InvalidOperationException($"guest page {index} is not live memory: {error}");
    }

    /// <summary>Frees the frames (the VMM unmapping guest RAM); pins still held keep theirs alive, as a pin holds a reference.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var pfn in _pages) Memory.PutPage(pfn);
        foreach (var pfn in _padding) Memory.PutPage(pfn);
    }

    /// <summary>
    /// Takes single frames until host RAM hands out one aligned to <paramref name="alignPages"/>,
    /// which goes straight back: freed frames head the free list that the bulk allocation pops
    /// first, so it comes back as page 0 and the bump allocator continues after it. The frames
    /// taken before it are returned, kept allocated until <see cref="Dispose"/> (given back now,
    /// they would be handed out first and break the run).
    /// </summary>
    private static List<Pfn> SkipToAlignment(PhysicalMemory memory, ulong alignPages)
    {
        var padding = new List<Pfn>();
        if (alignPages <= 1) return padding;
        while (memory.AllocPage(out var pfn) == Errno.None)
        {
            if (pfn.Value % alignPages == 0)
            {
                memory.PutPage(pfn);
                break;
            }
            padding.Add(pfn);
        }
        return padding;
    }
}
