using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Trace;

namespace IommuSim.Actors.Hmm;

// dmirror_fault / dmirror_range_fault: the collision-retry loop of hmm_range_fault, one leaf
// directory at a time, with the HMM domain's directory mapping between the fault and the commit.
public sealed partial class HmmMirrorActor
{
    private enum Awaiting
    {
        None,
        Fault,
        Map,
        Migrate,
        Snapshot,
        Exclusive,
    }

    /// <summary>One dmirror_fault: the range, and the chunk in flight with what the mm answered for it.</summary>
    private sealed class FaultJob(AddressRange range, bool write, Action<Errno> done)
    {
        public AddressRange Range { get; } = range;
        public bool Write { get; } = write;
        public Action<Errno> Done { get; } = done;
        public ulong Next { get; set; } = range.Start;
        public AddressRange Chunk { get; set; }
        public long ReadSequence { get; set; }
        public HmmPfn[] Pages { get; set; } = [];
        public int[] Generations { get; set; } = [];
        public Iova? IovaBase { get; set; }
        public int Retries { get; set; }

        // Invalidations received since the chunk's RangeFault was sent (sequence, range).
        public List<(long Sequence, AddressRange Range)> Seen { get; } = [];
    }

    private FaultJob? _job;
    private Awaiting _awaiting;

    /// <summary>Faults [range) in for read or write and calls <paramref name="done"/> with the result once every chunk is committed.</summary>
    private void FaultRange(AddressRange range, bool write, Action<Errno> done)
    {
        _faultRounds++;
        _job = new FaultJob(range, write, done);
        NextChunk();
    }

    private void NextChunk()
    {
        var job = _job!;
        if (job.Next >= job.Range.End)
        {
            _job = null;
            job.Done(Errno.None);
            return;
        }
        var directoryEnd = (job.Next | (DirectoryBytes - 1)) + 1;
        var end = directoryEnd == 0 ? job.Range.End : Math.Min(job.Range.End, directoryEnd);
        job.Chunk = new AddressRange(job.Next, end);
        job.Retries = 0;
        if (Context.System.EventStream.HasSubscribers(typeof(DeviceFaultStarted)))
            Publish(new DeviceFaultStarted(_device, _mm, job.Chunk, job.Write));
        SendFault(job);
    }

    // mmu_interval_read_begin + hmm_range_fault: the mm answers with the pages and the sequence.
    private void SendFault(FaultJob job)
    {
        job.Seen.Clear();
        job.IovaBase = null;
        _awaiting = Awaiting.Fault;
        _rangeFaults++;
        _mm.Tell(new RangeFault(job.Chunk, job.Write), Self);
    }

    private void OnRangeFaultReply(RangeFaultReply r)
    {
        if (_awaiting == Awaiting.Exclusive)
        {
            OnExclusiveReply(r);
            return;
        }
        if (_awaiting != Awaiting.Fault || _job is not { } job) return;
        _awaiting = Awaiting.None;
        if (r.Errno != Errno.None)
        {
            FailJob(r.Errno);
            return;
        }
        job.ReadSequence = r.Sequence;
        // The mm answers with an array; indexing it directly keeps interface calls out of the per-page loops.
        var pages = r.Pages as HmmPfn[] ?? [.. r.Pages];
        job.Pages = pages;
        // The generation of each page as the mm handed it out: the DMA safety check compares it
        // with the page's generation at every device access.
        var generations = new int[pages.Length];
        for (var i = 0; i < generations.Length; i++) generations[i] = _memory.PageGeneration(pages[i].Pfn);
        job.Generations = generations;
        if (_hmmDomain is not { } domain)
        {
            Commit(job);
            return;
        }
        // hmm_mirror_domain_update: the HMM domain maps (or updates) the whole leaf directory.
        // A directory with nothing for the IOMMU (only this device's own memory) needs no mapping.
        var directory = new AddressRange(job.Chunk.Start & ~(DirectoryBytes - 1), (job.Chunk.Start & ~(DirectoryBytes - 1)) + DirectoryBytes);
        var directoryPages = DirectoryPages(directory, job);
        if (Array.TrueForAll(directoryPages, p => p == null))
        {
            Commit(job);
            return;
        }
        _awaiting = Awaiting.Map;
        _directoryMaps++;
        domain.Tell(new MapDirectory(directory, directoryPages) { ReadSequence = r.Sequence }, Self);
    }

    private void OnDirectoryMapped(DirectoryMapped d)
    {
        if (_awaiting != Awaiting.Map || _job is not { } job) return;
        _awaiting = Awaiting.None;
        if (d.Errno == Errno.EAGAIN)
        {
            // The domain saw a newer invalidation of the directory than the pages' sequence.
            Retry(job);
            return;
        }
        if (d.Errno != Errno.None)
        {
            FailJob(d.Errno);
            return;
        }
        job.IovaBase = d.IovaBase;
        Commit(job);
    }

    /// <summary>
    /// The commit of dmirror_range_fault under dmirror->mutex: if an invalidation of an
    /// overlapping range arrived after the pages were read (mmu_interval_read_retry), the pages
    /// may already be freed and the chunk is faulted again; otherwise its entries go into the
    /// device page table (dmirror_do_fault).
    /// </summary>
    private void Commit(FaultJob job)
    {
        if (_options.CheckSequenceBeforeCommit && job.Seen.Exists(s => s.Sequence > job.ReadSequence && s.Range.Overlaps(job.Chunk)))
        {
            Retry(job);
            return;
        }
        var directoryStart = job.Chunk.Start & ~(DirectoryBytes - 1);
        var pages = job.Pages;
        var generations = job.Generations;
        var iovaBase = job.IovaBase;
        for (var i = 0; i < pages.Length; i++)
        {
            var addr = job.Chunk.Start + ((ulong)i << PageShift);
            var page = pages[i];
            var pte = HmmPte.FromPfn(page.Pfn, page.Write).WithDriverFlags(page.IsDevicePrivate ? DevicePrivateFlag : 0);
            var err = _pt.Set(addr, pte);
            if (err != Errno.None)
            {
                FailJob(err);
                return;
            }
            Iova? iova = iovaBase is { } b && !page.IsDevicePrivate ? b + (addr - directoryStart) : null;
            _mapped.Set(addr >> PageShift, new MappedPage(generations[i], job.ReadSequence, iova));
        }
        if (Tracing) Publish(new MirrorCommitted(_device, _mm, job.Chunk, job.ReadSequence, _options.CheckSequenceBeforeCommit));
        job.Next = job.Chunk.End;
        NextChunk();
    }

    private void Retry(FaultJob job)
    {
        _retries++;
        if (++job.Retries > _options.MaxRetries)
        {
            FailJob(Errno.EBUSY);
            return;
        }
        SendFault(job);
    }

    private void FailJob(Errno errno)
    {
        var job = _job!;
        _job = null;
        _awaiting = Awaiting.None;
        job.Done(errno);
    }

    /// <summary>
    /// The 512 entries of a leaf directory for MapDirectory: the chunk's fresh pages, and this
    /// device's current mappings for the rest; device-private pages and empty slots are holes
    /// (device memory is not reached through the IOMMU).
    /// </summary>
    private HmmPfn?[] DirectoryPages(AddressRange directory, FaultJob job)
    {
        var pages = new HmmPfn?[HmmPtGeometry.DirectoryEntries];
        for (var slot = 0; slot < pages.Length; slot++)
        {
            var addr = directory.Start + ((ulong)slot << PageShift);
            if (job.Chunk.Contains(addr))
            {
                var page = job.Pages[(int)((addr - job.Chunk.Start) >> PageShift)];
                pages[slot] = page.IsDevicePrivate ? null : page;
                continue;
            }
            var pte = _pt.Get(addr);
            if (pte.Pfn is { } pfn && (pte.DriverFlags & DevicePrivateFlag) == 0) pages[slot] = new HmmPfn(pfn, pte.IsWrite);
        }
        return pages;
    }
}
