using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Actors.Mm;

// The invalidation protocol (mm/mmu_notifier.c: mn_itree_invalidate_start / _end, with
// mmu_interval_notifier's invalidate_seq): bump the sequence to odd, tell every mirror and HMM
// domain, collect their fences while every other request waits, then change or free the CPU
// pages, bump the sequence to even and let the operation answer its caller.
public sealed partial class MmActor
{
    private sealed class Invalidation(long sequence, IReadOnlyList<InvalidationRange> ranges, Action apply, Action complete)
    {
        public long Sequence { get; } = sequence;
        public IReadOnlyList<InvalidationRange> Ranges { get; } = ranges;
        public Action Apply { get; } = apply;
        public Action Complete { get; } = complete;
        public bool Applied { get; set; }

        // Fences still owed, per receiver (one per range sent).
        public Dictionary<IActorRef, int> Pending { get; } = [];
    }

    private Invalidation? _running;

    /// <summary>
    /// Runs an invalidation of <paramref name="ranges"/>: <paramref name="apply"/> changes or frees
    /// the CPU pages once every receiver has fenced (while the sequence is still odd), then the
    /// sequence becomes even and <paramref name="complete"/> answers the caller. With no mirror
    /// and no HMM domain it all happens at once. Requests arriving meanwhile wait in the deferred
    /// queue and are served afterwards in their order.
    /// </summary>
    private void Invalidate(IReadOnlyList<InvalidationRange> ranges, Action apply, Action complete)
    {
        if (_running != null) throw new InvalidOperationException("an invalidation is already running");
        _sequence++;
        _invalidationCount++;
        var inv = new Invalidation(_sequence, ranges, apply, complete);
        var receivers = Receivers();
        foreach (var receiver in receivers)
        {
            foreach (var r in ranges) receiver.Tell(new MmuInvalidate(r.Range, r.Event, _sequence), Self);
            inv.Pending[receiver] = ranges.Count;
        }
        if (Tracing) Publish(new InvalidationStarted(Self, ranges, _sequence, receivers.Count));
        if (_options.FreePagesBeforeFences)
        {
            // Bug injection (MmOptions.FreePagesBeforeFences): the pages go before the devices
            // have let go of them.
            inv.Applied = true;
            apply();
        }
        if (inv.Pending.Count == 0)
        {
            Finish(inv);
            return;
        }
        _running = inv;
    }

    private void OnFence(InvalidationFence fence)
    {
        var inv = _running;
        if (inv == null || fence.Sequence != inv.Sequence) return;
        if (Tracing) Publish(new FenceReceived(Self, Sender, fence.Sequence));
        if (!inv.Pending.TryGetValue(Sender, out var owed)) return;
        if (owed > 1) inv.Pending[Sender] = owed - 1;
        else inv.Pending.Remove(Sender);
        if (inv.Pending.Count == 0) FinishRunning();
    }

    /// <summary>A receiver that left (unregistered, stopped) owes no fence any more.</summary>
    private void ForgetReceiver(IActorRef receiver)
    {
        var inv = _running;
        if (inv == null || !inv.Pending.Remove(receiver)) return;
        if (inv.Pending.Count == 0) FinishRunning();
    }

    private void FinishRunning()
    {
        var inv = _running!;
        _running = null;
        Finish(inv);
        DrainDeferred();
    }

    private void Finish(Invalidation inv)
    {
        if (!inv.Applied) inv.Apply();
        _sequence++;
        if (Tracing) Publish(new InvalidationEnded(Self, inv.Ranges, _sequence - 1));
        inv.Complete();
    }

    /// <summary>Everyone an invalidation must reach: the mirrors, the HMM domains, domains whose last mirror left but that have not stopped yet, and the SVA domains.</summary>
    private List<IActorRef> Receivers()
    {
        var list = new List<IActorRef>(_mirrors.Count + _domainList.Count + _dyingDomains.Count + _svaDomains.Count);
        foreach (var m in _mirrors) list.Add(m.Mirror);
        foreach (var d in _domainList) list.Add(d.HmmDomain);
        list.AddRange(_dyingDomains);
        list.AddRange(_svaDomains);
        return list;
    }

    private bool Tracing => Context.System.EventStream.HasSubscribers(typeof(ITraceEvent));

    private void Publish(ITraceEvent e) => Context.System.EventStream.Publish(e);
}
