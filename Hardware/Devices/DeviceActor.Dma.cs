using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Hardware.Devices;

// Bursts: handed to the unit whole (no ATC), or translated through the device's own ATC.
public sealed partial class DeviceActor
{
    /// <summary>A burst in flight through the unit, answered in order.</summary>
    private readonly record struct InFlight(long Tag, IActorRef Requester, bool Write);

    private readonly Queue<InFlight> _inFlight = new();
    private long _nextTag;

    /// <summary>The burst an ATC device is working on (one at a time); later ones wait in the deferred queue.</summary>
    private sealed class AtcBurst(IActorRef requester, ulong iova, int pages, bool write, IReadOnlyList<ulong>? values)
    {
        public IActorRef Requester { get; } = requester;
        public ulong Iova { get; } = iova;
        public int Pages { get; } = pages;
        public bool Write { get; } = write;
        public IReadOnlyList<ulong>? Values { get; } = values;
        public ulong[]? Read { get; } = write ? null : new ulong[pages];
        public int Done { get; set; }
        public IReadOnlyList<AtsEntry>? Answer { get; set; }
        public int AnswerIndex { get; set; }
        public Errno AnswerErrno { get; set; }
        // Pages translated by the ATC and from the unit's ATS answers, for DeviceTlbLookups.
        public int Hits { get; set; }
        public int Misses { get; set; }
    }

    private AtcBurst? _burst;
    // The domain that translated the ATC's entries, for trace events.
    private IActorRef? _atcDomain;

    private void StartBurst(Iova iova, int pages, bool write, IReadOnlyList<ulong>? values, IActorRef replyTo)
    {
        var error = _probe != Errno.None ? Errno.ENODEV : IommuUnitActor.CheckBurst(iova, pages);
        if (error != Errno.None)
        {
            Complete(replyTo, write, new DmaCompleted(error, iova, 0, []));
            return;
        }
        if (_atc is null)
        {
            var tag = ++_nextTag;
            _inFlight.Enqueue(new InFlight(tag, replyTo, write));
            _unit.Ref.Tell(new UnitDma(_options.Name, iova, pages, write, values, tag), Self);
            return;
        }
        _burst = new AtcBurst(replyTo, iova.Value, pages, write, values);
        RunAtcBurst(_burst);
    }

    private void OnUnitDmaDone(UnitDmaDone done)
    {
        if (!_inFlight.TryPeek(out var head) || head.Tag != done.Tag) return;
        _inFlight.Dequeue();
        Complete(head.Requester, head.Write, done.Result);
        RunDeferred();
    }

    /// <summary>Translates from the unit's last ATS answer or the ATC and accesses memory, until done, a fault or a miss.</summary>
    private void RunAtcBurst(AtcBurst burst)
    {
        var atc = _atc!;
        var tracing = Context.System.EventStream.HasSubscribers(typeof(DeviceDma));
        while (burst.Done < burst.Pages)
        {
            var va = burst.Iova + ((ulong)burst.Done << PageSize.BaseShift);
            var iova = new Iova(va);
            PhysAddr phys;
            IommuProt prot;
            if (burst.Answer is { } answer)
            {
                while (burst.AnswerIndex < answer.Count && EndOf(answer[burst.AnswerIndex]) <= va) burst.AnswerIndex++;
                if (burst.AnswerIndex < answer.Count && answer[burst.AnswerIndex].PageIova.Value <= va)
                {
                    var entry = answer[burst.AnswerIndex];
                    phys = new PhysAddr(entry.PageBase.Value | (va & (entry.PageSize - 1)));
                    prot = entry.Prot;
                    burst.Misses++;
                }
                else if (burst.AnswerErrno != Errno.None)
                {
                    // The unit's answer stopped at this page: it is the one that faulted.
                    FinishAtcBurst(burst, burst.AnswerErrno);
                    return;
                }
                else
                {
                    burst.Answer = null;
                    continue;
                }
            }
            else if (atc.Lookup(0, NoPasid, iova, out var hit))
            {
                _atcHits++;
                burst.Hits++;
                phys = hit.Phys;
                prot = (IommuProt)(int)hit.Prot;
            }
            else
            {
                _atsRequests++;
                _unit.Ref.Tell(new AtsTranslate(_options.Name, iova, burst.Pages - burst.Done, burst.Write), Self);
                return;
            }
            var need = burst.Write ? IommuProt.Write : IommuProt.Read;
            if ((prot & need) == 0)
            {
                FinishAtcBurst(burst, Errno.EPERM);
                return;
            }
            var pfn = phys.Pfn;
            Errno access;
            if (burst.Write)
            {
                access = _memory.WritePage(pfn, burst.Values![burst.Done]);
            }
            else
            {
                access = _memory.ReadPage(pfn, out var value);
                burst.Read![burst.Done] = value;
            }
            if (tracing)
                Context.System.EventStream.Publish(new DeviceDma(_options.Name, _atcDomain, iova, pfn,
                    _memory.PageGeneration(pfn), access == Errno.None, burst.Write, ViaDeviceTlb: true));
            // A translated frame that is not live memory: refused (EIO) and counted by PhysicalMemory.
            if (access != Errno.None)
            {
                FinishAtcBurst(burst, Errno.EIO);
                return;
            }
            burst.Done++;
        }
        FinishAtcBurst(burst, Errno.None);
    }

    private static ulong EndOf(in AtsEntry entry) => entry.PageIova.Value + entry.PageSize;

    /// <summary>
    /// The unit's ATS completion: every entry goes into the ATC (entries the ATC is too small for
    /// evict older ones), and the burst goes on with the answer itself, so a burst longer than the
    /// ATC does not ask twice.
    /// </summary>
    private void OnAtsTranslation(AtsTranslation answer)
    {
        if (_burst is not { } burst) return;
        foreach (var entry in answer.Entries)
            if (PageSize.TryFromBytes(entry.PageSize, out var size))
                _atc!.Fill(0, NoPasid, entry.PageIova, size, entry.PageBase, (Iommu.IoProt)(int)entry.Prot, dirty: false);
        if (answer.Domain is not null) _atcDomain = answer.Domain;
        burst.Answer = answer.Entries;
        burst.AnswerIndex = 0;
        burst.AnswerErrno = answer.Errno;
        RunAtcBurst(burst);
    }

    private void FinishAtcBurst(AtcBurst burst, Errno errno)
    {
        _burst = null;
        if (Context.System.EventStream.HasSubscribers(typeof(DeviceTlbLookups)))
            Context.System.EventStream.Publish(new DeviceTlbLookups(_options.Name, burst.Write, burst.Hits, burst.Misses, burst.Done));
        if (errno != Errno.None && Context.System.EventStream.HasSubscribers(typeof(DeviceDmaFault)))
            Context.System.EventStream.Publish(new DeviceDmaFault(_options.Name, _atcDomain,
                new Iova(burst.Iova + ((ulong)burst.Done << PageSize.BaseShift)), burst.Write, errno));
        IReadOnlyList<ulong> values = burst.Read is { } read
            ? (burst.Done == read.Length ? read : new ArraySegment<ulong>(read, 0, burst.Done))
            : [];
        Complete(burst.Requester, burst.Write, new DmaCompleted(errno, new Iova(burst.Iova), burst.Done, values));
        RunDeferred();
    }

    /// <summary>
    /// An ATS invalidation request: drop what it selects and acknowledge. The ATC holds one
    /// domain's translations (the unit invalidates it whole when the device changes domain), so a
    /// domain or PASID command empties it and a range command drops the range.
    /// </summary>
    private void OnAtcInvalidate(AtcInvalidate invalidate)
    {
        _atcInvalidations++;
        // A burst waiting for an ATS answer must not reuse translations of an earlier answer.
        if (_burst is { } burst) burst.Answer = null;
        if (_atc is { } atc)
        {
            var command = invalidate.Command;
            if (command.Kind == IotlbInvalidationKind.Range)
                atc.InvalidateRange(0, null, command.Start, command.Length, command.LeafOnly);
            else
                atc.InvalidateAll();
        }
        Sender.Tell(new AtcInvalidated(_options.Name, invalidate.Sequence), Self);
    }

    private void OnDeviceTlbProbe(DeviceTlbProbe probe, IActorRef replyTo)
    {
        var hit = default(IotlbHit);
        var found = _atc is { } atc && atc.Probe(0, NoPasid, probe.Iova, out hit);
        replyTo.Tell(new DeviceTlbProbeResult(Errno.None, found, found ? hit.Phys : default), Self);
    }
}
