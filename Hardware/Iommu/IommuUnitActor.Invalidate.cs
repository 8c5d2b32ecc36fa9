using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Hardware.Iommu;

// The invalidation queue and its syncs. A sync applies every queued command to the IOTLB and
// the micro-TLBs at once (InvalidationQueue.Sync), then invalidates the ATCs of the devices the
// commands concern and completes only when each has acknowledged. Completions are answered in
// the order they were issued, as CMD_SYNCs complete in queue order.
public sealed partial class IommuUnitActor
{
    /// <summary>A reply held back until the ATS invalidations it depends on (and every earlier completion) are done.</summary>
    private sealed class PendingCompletion(IActorRef? replyTo, object? reply, IotlbFlushed? flushed = null)
    {
        public IActorRef? ReplyTo { get; } = replyTo;
        public object? Reply { get; } = reply;
        public IotlbFlushed? Flushed { get; } = flushed;
        public int Outstanding { get; set; }
        public int DeviceTlbs { get; set; }
    }

    private readonly Queue<PendingCompletion> _completions = new();
    private readonly Dictionary<long, (PendingCompletion Completion, string Device)> _atcWaits = [];
    // ATS invalidations owed to devices since the last sync: sent when the sync is issued.
    private readonly List<(UnitDevice Device, IotlbInvalidation Command, uint DomainId)> _atcPending = [];
    private long _atcSequence;
    private long _atcInvalidations;

    private void OnIotlbInvalidate(IotlbInvalidate request)
    {
        _contexts.TryGetValue(request.Domain, out var context);
        foreach (var command in request.Commands)
        {
            if (command.Kind != IotlbInvalidationKind.Global && context is not { HasDomainId: true })
                continue; // no domain id on this unit: nothing of the domain can be cached
            var id = context?.Id ?? 0;
            _queue.Submit(ToQueueCommand(command, id));
            Charge(_config.Costs.InvalidationNs);
            foreach (var device in _devices.Values)
                if (device.Ats && (command.Kind == IotlbInvalidationKind.Global || device.Domain == context || HasPasidEntry(device, context)))
                    _atcPending.Add((device, command, id));
        }
        if (!request.Sync)
        {
            Sender.Tell(new IotlbInvalidated(Errno.None, request.Cookie, false), Self);
            return;
        }
        _queue.Sync();
        Charge(_config.Costs.SyncNs);
        var flushed = Context.System.EventStream.HasSubscribers(typeof(IotlbFlushed))
            ? new IotlbFlushed(_config.Name, request.Domain, context?.Id ?? 0, request.Commands, 0)
            : null;
        var completion = new PendingCompletion(Sender, new IotlbInvalidated(Errno.None, request.Cookie, true), flushed);
        if (!_config.DropDeviceTlbInvalidation)
            foreach (var (device, command, id) in _atcPending)
                SendAtcInvalidation(device, command, id, completion);
        _atcPending.Clear();
        IssueCompletion(completion);
    }

    private static InvalidationCommand ToQueueCommand(in IotlbInvalidation command, uint domainId) => command.Kind switch
    {
        IotlbInvalidationKind.Range => InvalidationCommand.Range(domainId, command.Pasid, command.Start, command.Length,
            command.LeafOnly, command.Granule == 0 ? PageSizeBitmap.Size4K : command.Granule),
        IotlbInvalidationKind.Pasid => InvalidationCommand.ForPasid(command.Pasid.GetValueOrDefault(Pasid.Invalid), domainId),
        IotlbInvalidationKind.Domain => InvalidationCommand.ForDomain(domainId),
        _ => InvalidationCommand.Global,
    };

    private void SendAtcInvalidation(UnitDevice device, IotlbInvalidation command, uint domainId, PendingCompletion completion)
    {
        var sequence = ++_atcSequence;
        _atcWaits.Add(sequence, (completion, device.Name));
        completion.Outstanding++;
        completion.DeviceTlbs++;
        _atcInvalidations++;
        device.Actor.Tell(new AtcInvalidate(command, domainId, sequence), Self);
    }

    private void OnAtcInvalidated(AtcInvalidated done)
    {
        if (!_atcWaits.Remove(done.Sequence, out var wait)) return;
        wait.Completion.Outstanding--;
        DrainCompletions();
    }

    /// <summary>A device that stopped can translate nothing any more: its pending acknowledgements count as given.</summary>
    private void ForgetAtcAcknowledgements(string device)
    {
        foreach (var (sequence, wait) in _atcWaits.Where(w => w.Value.Device == device).ToList())
        {
            _atcWaits.Remove(sequence);
            wait.Completion.Outstanding--;
        }
        DrainCompletions();
    }

    private void IssueCompletion(PendingCompletion completion)
    {
        _completions.Enqueue(completion);
        DrainCompletions();
    }

    private void DrainCompletions()
    {
        while (_completions.TryPeek(out var head) && head.Outstanding == 0)
        {
            _completions.Dequeue();
            // The event goes out before the answer, so a trace never shows what the answer caused first.
            if (head.Flushed is { } e) Context.System.EventStream.Publish(e with { DeviceTlbs = head.DeviceTlbs });
            if (head.Reply is not null) head.ReplyTo?.Tell(head.Reply, Self);
        }
    }
}
