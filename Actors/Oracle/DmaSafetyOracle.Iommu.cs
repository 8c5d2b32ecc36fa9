using IommuSim.Messages;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Actors.Oracle;

// The IOMMU side of the DMA safety check: device DMA by IOVA (DeviceDma, through a unit or a
// device's ATC) against the unmaps domains answered (IovaUnmapped), the IOTLB syncs that completed
// them (IotlbFlushed) and the pages the mm freed (PageFreed). Three rules, checked in order:
//   1. no DMA through a domain at an IOVA after the domain answered its unmap, unless the IOVA was
//      mapped again since (iommu_unmap's contract: once it returns, no device translates the IOVA);
//   2. no DMA to a frame that is not live memory (the mm freed it: DMA after free);
//   3. no DMA to a frame that was freed and allocated again, unless the IOVA was mapped again after
//      the free (otherwise the translation is the stale one of the freed page).
// Each violation names the device, the IOVA, the pfn and the invalidation: the domain's unmap and
// sync, and the mm invalidation (its sequence) that ran when the unmap or the free happened.
public sealed partial class DmaSafetyOracle
{
    // Recent unmaps and maps kept per domain; enough for any test or scenario the oracle watches,
    // and bounded so that a long run does not grow without limit.
    private const int IovaHistoryCapacity = 4096;

    private readonly Dictionary<IActorRef, DomainHistory> _domains = [];
    private readonly Dictionary<Pfn, FreedPage> _freed = [];
    private long _deviceAccesses;

    /// <summary>One answered unmap: the IOVA range, whether the IOTLB was synced first, the sync that did it, and the mm invalidation it served.</summary>
    private sealed record Unmap(AddressRange Iova, bool Synced, IotlbFlushed? Flush, long FlushNumber, IActorRef? Mm, long? MmSequence, long Event);

    private sealed class DomainHistory
    {
        // Answered unmaps, oldest first; an IOVA mapped again is cut out of them.
        public List<Unmap> Unmapped { get; } = [];

        // Maps, oldest first (range, event number).
        public Queue<(AddressRange Iova, long Event)> Mapped { get; } = new();

        public IotlbFlushed? LastFlush { get; set; }

        public long Flushes { get; set; }
    }

    /// <summary>The frame the mm freed, with the generation it had and the invalidation that was running (null: freed outside one).</summary>
    private readonly record struct FreedPage(int Generation, IActorRef Mm, long? Sequence, long Event);

    /// <summary>DMA pages by IOVA seen (<see cref="DeviceDma"/>).</summary>
    public long DeviceAccesses
    {
        get
        {
            lock (_lock) return _deviceAccesses;
        }
    }

    private void OnPageFreed(PageFreed f) =>
        _freed[f.Pfn] = new FreedPage(f.Generation, f.Mm, RunningSequence(f.Mm), _events);

    private void OnIommuEvent(object e)
    {
        switch (e)
        {
            case DeviceDma d:
                _deviceAccesses++;
                Check(d);
                break;
            case IovaUnmapped u:
            {
                var h = DomainOf(u.Domain);
                var (mm, seq) = AnyRunningInvalidation();
                h.Unmapped.Add(new Unmap(u.Iova, u.Synced, u.Synced ? h.LastFlush : null, h.Flushes, mm, seq, _events));
                if (h.Unmapped.Count > IovaHistoryCapacity) h.Unmapped.RemoveAt(0);
                break;
            }
            case IovaMapped m:
            {
                var h = DomainOf(m.Domain);
                h.Mapped.Enqueue((m.Iova, _events));
                if (h.Mapped.Count > IovaHistoryCapacity) h.Mapped.Dequeue();
                CutOut(h.Unmapped, m.Iova);
                break;
            }
            case IotlbFlushed f when f.Domain is { } domain:
            {
                var h = DomainOf(domain);
                h.LastFlush = f;
                h.Flushes++;
                break;
            }
        }
    }

    private void Check(DeviceDma d)
    {
        var kind = d.Write ? "write" : "read";
        var at = $"DMA {kind} by device {d.Device} at IOVA {d.Iova} to {d.Pfn}";
        var history = d.Domain is { } domain ? _domains.GetValueOrDefault(domain) : null;
        if (history?.Unmapped.FindLast(u => u.Iova.Contains(d.Iova.Value)) is { } unmap)
        {
            var sync = unmap.Synced
                ? $"IOTLB sync {unmap.FlushNumber} of {unmap.Flush?.Unit ?? "its unit"} completed before the answer"
                : "answered before any IOTLB sync";
            var inv = unmap.MmSequence is { } s ? $", in the invalidation (seq {s})" : "";
            Report(d, unmap.MmSequence, $"{at} after {d.Domain!.Path.Name} answered the unmap of IOVA {unmap.Iova} ({sync}{inv}); {PageState(d)}",
                $"unmap of IOVA {unmap.Iova} by {d.Domain.Path.Name}{inv}");
            return;
        }
        if (!_freed.TryGetValue(d.Pfn, out var freed))
        {
            if (!d.PageLive) Report(d, null, $"{at}: the frame is not live memory", null);
            return;
        }
        var when = freed.Sequence is not { } seq
            ? "after the mm freed it outside any invalidation"
            : IsCompleted(freed.Mm, seq)
                ? $"after the invalidation (seq {seq}) that freed it completed"
                : $"while the invalidation (seq {seq}) that freed it was still running";
        var freedBy = freed.Sequence is { } q ? $"invalidation seq {q}" : "free outside an invalidation";
        if (!d.PageLive)
        {
            Report(d, freed.Sequence, $"{at} {when}; the page is free", freedBy);
            return;
        }
        if (d.Generation != freed.Generation && !MappedSince(history, d.Iova, freed.Event))
            Report(d, freed.Sequence, $"{at} {when}; the page was freed and reused (generation {freed.Generation} -> {d.Generation}) and the IOVA was not mapped again", freedBy);
    }

    private static string PageState(DeviceDma d) => d.PageLive ? "the page is still allocated" : "the page is free";

    private void Report(DeviceDma d, long? sequence, string message, string? invalidation) =>
        _violations.Add(new DmaViolation(d.Device, d.Pfn, default, sequence, message, [.. _recent, DescribeIommu(d)])
        {
            Iova = d.Iova,
            Invalidation = invalidation,
        });

    private static bool MappedSince(DomainHistory? history, Iova iova, long sinceEvent)
    {
        if (history is null) return false;
        foreach (var (range, e) in history.Mapped)
            if (e > sinceEvent && range.Contains(iova.Value)) return true;
        return false;
    }

    /// <summary>Removes <paramref name="mapped"/> from every unmapped range (what is left on either side stays).</summary>
    private static void CutOut(List<Unmap> unmapped, AddressRange mapped)
    {
        for (var i = unmapped.Count - 1; i >= 0; i--)
        {
            var u = unmapped[i];
            if (!u.Iova.Overlaps(mapped)) continue;
            unmapped.RemoveAt(i);
            if (u.Iova.End > mapped.End) unmapped.Insert(i, u with { Iova = new AddressRange(mapped.End, u.Iova.End) });
            if (u.Iova.Start < mapped.Start) unmapped.Insert(i, u with { Iova = new AddressRange(u.Iova.Start, mapped.Start) });
        }
    }

    private DomainHistory DomainOf(IActorRef domain)
    {
        if (!_domains.TryGetValue(domain, out var h)) _domains[domain] = h = new DomainHistory();
        return h;
    }

    private long? RunningSequence(IActorRef mm) =>
        _mms.TryGetValue(mm, out var h) && h.Running.Count > 0 ? h.Running.Keys.Max() : null;

    /// <summary>The mm invalidation running now, if any (an HMM domain unmaps inside one).</summary>
    private (IActorRef? Mm, long? Sequence) AnyRunningInvalidation()
    {
        foreach (var (mm, h) in _mms)
            if (h.Running.Count > 0) return (mm, h.Running.Keys.Max());
        return (null, null);
    }

    private bool IsCompleted(IActorRef mm, long sequence) =>
        _mms.TryGetValue(mm, out var h) && !h.Running.ContainsKey(sequence) && h.Completed.Any(c => c.Sequence == sequence);

    private static string DescribeIommu(object e) => e switch
    {
        DeviceDma d => $"device dma {(d.Write ? "write" : "read")} {d.Device} iova {d.Iova} {d.Pfn} gen {d.Generation}{(d.PageLive ? "" : " (free)")}{(d.ViaDeviceTlb ? " via ATC" : "")}",
        DeviceDmaFault f => $"device dma fault {f.Device} iova {f.Iova} {f.Errno}",
        IovaUnmapped u => $"iova unmapped {u.Domain.Path.Name} {u.Iova}{(u.Synced ? "" : " (unsynced)")}",
        IovaMapped m => $"iova mapped {m.Domain.Path.Name} {m.Iova}",
        IotlbFlushed f => $"iotlb sync {f.Unit} did {f.DomainId}: {f.Commands.Count} commands, {f.DeviceTlbs} device TLBs",
        _ => e.ToString() ?? "",
    };
}
