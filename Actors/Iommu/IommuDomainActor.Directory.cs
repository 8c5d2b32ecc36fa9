using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Trace;

namespace IommuSim.Actors.Iommu;

// Seed 000's directory-at-once API (iommu_domain_map_directory / update_directory /
// unmap_directory): one 2 MiB IOVA range per HMM-table leaf directory, mapped with 4 KiB leaves.
public sealed partial class IommuDomainActor
{
    public const int DirectoryPages = 512;
    private const ulong DirectoryBytes = (ulong)DirectoryPages << PageSize.BaseShift;

    // Mapped directories: IOVA base to the number of pages mapped in it.
    private readonly Dictionary<ulong, int> _directories = [];

    private void OnMapDirectory(IommuMapDirectory map)
    {
        var error = PagingError();
        var mappedCount = 0;
        if (error == Errno.None) error = CheckPages(map.Pages, out mappedCount);
        if (error == Errno.None && mappedCount == 0) error = Errno.EINVAL;
        var iovaBase = 0UL;
        if (error == Errno.None && !_iova!.TryAllocate(DirectoryBytes, out iovaBase)) error = Errno.ENOSPC;
        if (error != Errno.None)
        {
            Sender.Tell(new IommuDirectoryMapped(error, default, 0), Self);
            return;
        }
        var table = _table!;
        for (var i = 0; i < DirectoryPages; i++)
        {
            if (map.Pages[i] is not { } page) continue;
            // Cannot fail: the range was free (fresh IOVA) and the pages were checked.
            table.Map(new Iova(PageIova(iovaBase, i)), page.Phys, PageSize.Size4K.Bytes, ToIoProt(page.Prot));
        }
        _directories[iovaBase] = mappedCount;
        _maps++;
        if (Tracing(typeof(IovaMapped))) Trace(new IovaMapped(Self, AddressRange.FromLength(iovaBase, DirectoryBytes), default));
        Sender.Tell(new IommuDirectoryMapped(Errno.None, new Iova(iovaBase), mappedCount), Self);
    }

    /// <summary>
    /// Maps the pages not mapped yet and remaps those whose frame or access changed (that needs a
    /// flush and sync before the answer); pages passed as null stay as they are.
    /// </summary>
    private void OnUpdateDirectory(IommuUpdateDirectory update)
    {
        var error = PagingError();
        var iovaBase = update.IovaBase.Value;
        if (error == Errno.None && !_directories.ContainsKey(iovaBase)) error = Errno.EINVAL;
        if (error == Errno.None) error = CheckPages(update.Pages, out _);
        if (error != Errno.None)
        {
            Sender.Tell(new IommuDirectoryUpdated(error, 0), Self);
            return;
        }
        var table = _table!;
        var gather = new IotlbGather();
        var batch = new CommandBatch();
        var delta = 0;
        // Pages mapped or remapped, for the trace: an oracle must see every IOVA that gets a new
        // translation, or it would take a reused frame behind it for a stale one.
        var trace = Tracing(typeof(IovaMapped));
        for (var i = 0; i < DirectoryPages; i++)
        {
            if (update.Pages[i] is not { } page) continue;
            var iova = new Iova(PageIova(iovaBase, i));
            var prot = ToIoProt(page.Prot);
            var walk = table.Walk(iova);
            if (walk.IsOk)
            {
                if (walk.PageBase == page.Phys && walk.Prot == prot) continue;
                table.Unmap(iova, PageSize.Size4K.Bytes);
                gather.AddPage(batch, iova, PageSize.Size4K.Bytes);
            }
            else
            {
                delta++;
            }
            table.Map(iova, page.Phys, PageSize.Size4K.Bytes, prot);
            if (trace) Trace(new IovaMapped(Self, AddressRange.FromLength(iova.Value, PageSize.Size4K.Bytes), page.Phys));
        }
        gather.Sync(batch);
        _directories[iovaBase] += delta;
        if (delta > 0) _maps++;
        var replyTo = Sender;
        FlushUnmapped(batch.Commands, () => replyTo.Tell(new IommuDirectoryUpdated(Errno.None, delta), Self));
    }

    /// <summary>
    /// Unmaps the present pages of every slice, syncs once, then frees the IOVA of each directory
    /// left empty. A directory is forgotten at once, so no later request can map into an IOVA
    /// range that is about to be freed; the range itself is freed only after the sync.
    /// </summary>
    private void OnUnmapDirectories(IommuUnmapDirectories request)
    {
        var error = PagingError();
        if (error == Errno.None) error = CheckSlices(request.Slices);
        if (error != Errno.None)
        {
            Sender.Tell(new IommuDirectoriesUnmapped(error, []), Self);
            return;
        }
        _unmaps++;
        var table = _table!;
        var gather = new IotlbGather();
        var batch = new CommandBatch();
        var counts = new int[request.Slices.Count];
        for (var k = 0; k < request.Slices.Count; k++)
        {
            var slice = request.Slices[k];
            var iovaBase = slice.IovaBase.Value;
            for (var i = slice.FirstPage; i < slice.FirstPage + slice.Pages; i++)
            {
                var iova = new Iova(PageIova(iovaBase, i));
                if (!table.Walk(iova).IsOk) continue;
                table.Unmap(iova, PageSize.Size4K.Bytes);
                gather.AddPage(batch, iova, PageSize.Size4K.Bytes);
                counts[k]++;
            }
            _directories[iovaBase] -= counts[k];
        }
        gather.Sync(batch);
        var released = new HashSet<ulong>();
        foreach (var slice in request.Slices)
            if (_directories.TryGetValue(slice.IovaBase.Value, out var left) && left == 0 && released.Add(slice.IovaBase.Value))
                _directories.Remove(slice.IovaBase.Value);
        var results = new DirectoryUnmapResult[counts.Length];
        for (var k = 0; k < counts.Length; k++)
            results[k] = new DirectoryUnmapResult(counts[k], released.Contains(request.Slices[k].IovaBase.Value));
        var replyTo = Sender;
        FlushUnmapped(batch.Commands, () =>
        {
            foreach (var iovaBase in released) _iova!.Free(iovaBase);
            if (Tracing(typeof(IovaUnmapped)))
                foreach (var slice in request.Slices)
                    Trace(new IovaUnmapped(Self, SliceRange(slice), !_options.SkipIotlbSyncAfterUnmap));
            replyTo.Tell(new IommuDirectoriesUnmapped(Errno.None, results), Self);
        });
    }

    /// <summary>WRITE_PROTECT: every present page of the slices keeps only the access <c>Prot</c> allows; one sync for all.</summary>
    private void OnProtectDirectories(IommuProtectDirectories request)
    {
        var error = PagingError();
        if (error == Errno.None) error = CheckSlices(request.Slices);
        if (error == Errno.None && (request.Prot & IommuProt.Read) == 0) error = Errno.EINVAL;
        if (error != Errno.None)
        {
            Sender.Tell(new IommuDirectoriesProtected(error, 0), Self);
            return;
        }
        var table = _table!;
        var keep = ToIoProt(request.Prot);
        var gather = new IotlbGather();
        var batch = new CommandBatch();
        long changed = 0;
        foreach (var slice in request.Slices)
        {
            for (var i = slice.FirstPage; i < slice.FirstPage + slice.Pages; i++)
            {
                var iova = new Iova(PageIova(slice.IovaBase.Value, i));
                var walk = table.Walk(iova);
                if (!walk.IsOk || (walk.Prot & ~keep) == 0) continue;
                table.Unmap(iova, PageSize.Size4K.Bytes);
                table.Map(iova, walk.PageBase, PageSize.Size4K.Bytes, walk.Prot & keep);
                gather.AddPage(batch, iova, PageSize.Size4K.Bytes);
                changed++;
            }
        }
        gather.Sync(batch);
        var replyTo = Sender;
        FlushUnmapped(batch.Commands, () => replyTo.Tell(new IommuDirectoriesProtected(Errno.None, changed), Self));
    }

    private static ulong PageIova(ulong iovaBase, int index) => iovaBase + ((ulong)index << PageSize.BaseShift);

    private static AddressRange SliceRange(DirectorySlice slice) =>
        AddressRange.FromLength(PageIova(slice.IovaBase.Value, slice.FirstPage), (ulong)slice.Pages << PageSize.BaseShift);

    /// <summary>One directory's worth of pages, each page aligned, inside the output width and granting some access.</summary>
    private Errno CheckPages(IReadOnlyList<DirectoryPage?> pages, out int present)
    {
        present = 0;
        if (pages.Count != DirectoryPages) return Errno.EINVAL;
        var outputBits = _unit.Capabilities.OutputAddressBits;
        foreach (var entry in pages)
        {
            if (entry is not { } page) continue;
            if (!PageSize.Size4K.IsAligned(page.Phys.Value) || (page.Prot & (IommuProt.Read | IommuProt.Write)) == 0) return Errno.EINVAL;
            if (outputBits < 64 && page.Phys.Value >> outputBits != 0) return Errno.ERANGE;
            present++;
        }
        return Errno.None;
    }

    private Errno CheckSlices(IReadOnlyList<DirectorySlice> slices)
    {
        foreach (var slice in slices)
        {
            if (!_directories.ContainsKey(slice.IovaBase.Value)) return Errno.EINVAL;
            if (slice.FirstPage < 0 || slice.Pages < 0 || slice.FirstPage + slice.Pages > DirectoryPages) return Errno.EINVAL;
        }
        return Errno.None;
    }
}
