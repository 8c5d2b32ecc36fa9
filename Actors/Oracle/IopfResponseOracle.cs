using IommuSim.Messages;
using IommuSim.Messages.Trace;
using IommuSim.Runtime.Event;

namespace IommuSim.Actors.Oracle;

/// <summary>
/// "No I/O page fault response after unbind" (DESIGN.md protocol 3, iommu_sva_unbind_device's
/// contract: "All outstanding page requests for this PASID must have been flushed"). For each
/// (unit, device, PASID) it follows the page request groups queued and answered, and checks that
/// the PASID's removal completes with no group left unanswered (the fault queue was flushed) and
/// that no page response for the PASID is sent after the removal until it is attached again. At
/// teardown every group must have been answered.
/// </summary>
public sealed class IopfResponseOracle : TraceOracle
{
    private sealed class PasidState
    {
        public bool Detached { get; set; }
        public HashSet<int> Pending { get; } = [];
    }

    private readonly Dictionary<(string Unit, string Device, uint Pasid), PasidState> _pasids = [];
    private long _responses;

    public override string Invariant => "no-iopf-response-after-unbind";

    /// <summary>Page responses seen (written under the oracle's lock, read atomically without it).</summary>
    public long Responses => Interlocked.Read(ref _responses);

    public static IopfResponseOracle Attach(EventStream events)
    {
        var oracle = new IopfResponseOracle();
        oracle.Subscribe(events);
        return oracle;
    }

    protected override bool Wants(object e) => e is PasidAttached or PasidDetached or PageRequestQueued or PageResponseSent;

    protected override void Check(object e)
    {
        switch (e)
        {
            case PasidAttached a:
                State(a.Unit, a.Device, a.Pasid).Detached = false;
                break;
            case PageRequestQueued { Last: true, Dropped: false } q:
                State(q.Unit, q.Device, q.Pasid).Pending.Add(q.GroupId);
                break;
            case PageResponseSent r:
            {
                Interlocked.Increment(ref _responses);
                var s = State(r.Unit, r.Device, r.Pasid);
                s.Pending.Remove(r.GroupId);
                if (s.Detached)
                    Report($"{r.Unit} sent page response {r.Code} for group {r.GroupId} of PASID {r.Pasid} to {r.Device} after the PASID was unbound",
                        [r.Unit, r.Device]);
                break;
            }
            case PasidDetached d:
            {
                var s = State(d.Unit, d.Device, d.Pasid);
                if (s.Pending.Count > 0)
                    Report($"{d.Unit} completed the unbind of PASID {d.Pasid} from {d.Device} with page request groups {string.Join(", ", s.Pending.Order())} unanswered (fault queue not flushed)",
                        [d.Unit, d.Device, d.Domain.Path.Name]);
                s.Pending.Clear();
                s.Detached = true;
                break;
            }
        }
    }

    protected override void CheckAtTeardown()
    {
        foreach (var ((unit, device, pasid), s) in _pasids)
            if (s.Pending.Count > 0)
                Report($"at teardown, page request groups {string.Join(", ", s.Pending.Order())} of PASID {pasid} on {device} ({unit}) were never answered", [unit, device]);
    }

    private PasidState State(string unit, string device, Pasid pasid)
    {
        if (!_pasids.TryGetValue((unit, device, pasid.Value), out var s)) _pasids[(unit, device, pasid.Value)] = s = new PasidState();
        return s;
    }
}
