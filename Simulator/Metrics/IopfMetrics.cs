using IommuSim.Messages.Iommu;
using IommuSim.Messages.Trace;
using IommuSim.Simulator.Reports;

namespace IommuSim.Simulator.Metrics;

/// <summary>
/// I/O page faults (SVA, seed 002) and the SVA objects behind them. A fault is a page request
/// group: it runs from its first <see cref="PageRequestQueued"/> to the <see cref="PageResponseSent"/>
/// of the same (unit, device, PASID, group), whoever answered it (the handler, the unbind's drain,
/// the hardware for a lost last request). A group whose requests were discarded with their
/// PASID is never answered and stays out of the latency. Timeline kind "iopf".
/// </summary>
public sealed class IopfMetrics : MetricsHandler
{
    public const string PageRequests = "iopf_page_requests";
    public const string PageRequestsDropped = "iopf_page_requests_dropped";
    public const string Responses = "iopf_responses";
    public const string ResponsesInvalid = "iopf_responses_invalid";
    public const string Latency = "iopf_latency";
    public const string SvaDomainsAllocated = "sva_domains_allocated";
    public const string SvaBinds = "sva_binds";
    public const string PasidDetaches = "sva_pasid_detaches";

    private readonly RunSeriesBuilder _series;
    private readonly Dictionary<(string Unit, string Device, uint Pasid, int Group), (long Start, int Requests, bool Write)> _open = [];
    private readonly List<long> _latencyNs = [];
    private readonly HashSet<long> _bonds = [];
    private long _requests;
    private long _dropped;
    private long _responses;
    private long _invalid;
    private long _domains;
    private long _binds;
    private long _detaches;

    public IopfMetrics(RunSeriesBuilder series)
    {
        _series = series;
        On<PageRequestQueued>(OnRequest);
        On<PageResponseSent>(OnResponse);
        On<SvaDomainAllocated>((_, _) => _domains++);
        // A repeated bind of the same pair is the same bond (more users): count bonds once.
        On<SvaBondUsers>((e, _) => _binds += _bonds.Add(e.BondId) ? 1 : 0);
        On<PasidDetached>((_, _) => _detaches++);
    }

    private void OnRequest(PageRequestQueued e, long now)
    {
        _requests++;
        if (e.Dropped) _dropped++;
        var key = (e.Unit, e.Device, e.Pasid.Value, e.GroupId);
        _open[key] = _open.TryGetValue(key, out var g) ? g with { Requests = g.Requests + 1 } : (now, 1, e.Write);
    }

    private void OnResponse(PageResponseSent e, long now)
    {
        _responses++;
        if (e.Code != PageResponseCode.Success) _invalid++;
        if (!_open.Remove((e.Unit, e.Device, e.Pasid.Value, e.GroupId), out var group)) return;
        var latency = now - group.Start;
        _latencyNs.Add(latency);
        _series.AddSpan(new TimelineEvent(group.Start, latency, "iopf", e.Device,
            $"PASID {e.Pasid.Value} group {e.GroupId}: {group.Requests} {(group.Write ? "write" : "read")} request(s), {e.Code}"));
    }

    public override void Complete(IDictionary<string, double> metrics, long spanNs)
    {
        // Only runs that use SVA report these figures.
        if (_requests == 0 && _domains == 0) return;
        metrics[PageRequests] = _requests;
        metrics[PageRequestsDropped] = _dropped;
        metrics[Responses] = _responses;
        metrics[ResponsesInvalid] = _invalid;
        metrics[SvaDomainsAllocated] = _domains;
        metrics[SvaBinds] = _binds;
        metrics[PasidDetaches] = _detaches;
        Percentiles.AddLatency(metrics, Latency, _latencyNs);
    }
}
