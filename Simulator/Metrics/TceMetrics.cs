using IommuSim.Messages;
using IommuSim.Messages.Trace;

namespace IommuSim.Simulator.Metrics;

/// <summary>
/// The VFIO sPAPR TCE containers' traffic (seed 003), from their trace events: TCE exchanges
/// (iommu_tce_xchg_no_kill, every batch: map, unmap, rollback, detach), pages mapped (an entry made
/// valid) and unmapped (a valid entry emptied), pins taken for MAP_DMA and released, released
/// pages marked dirty, and the requests (attach, detach, enable, disable, map, unmap) answered and failed. Reported only for a run where a
/// container traced something, so that other runs' reports do not list zeros.
/// </summary>
public sealed class TceMetrics : MetricsHandler
{
    public const string Exchanges = "tce_exchanges";
    public const string PagesMapped = "tce_pages_mapped";
    public const string PagesUnmapped = "tce_pages_unmapped";
    public const string Pins = "tce_pins";
    public const string PinsReleased = "tce_pins_released";
    public const string PagesDirtied = "tce_pages_dirtied";
    public const string Requests = "tce_requests";
    public const string RequestsFailed = "tce_requests_failed";
    public const string ExchangeRate = "tce_exchanges_per_s";

    private bool _seen;
    private long _exchanges, _mapped, _unmapped, _pins, _released, _dirtied, _requests, _failed;

    public TceMetrics()
    {
        On<TceEntriesExchanged>((e, _) =>
        {
            _seen = true;
            _exchanges += e.Exchanges.Count;
            foreach (var x in e.Exchanges)
            {
                if (x.NewDirection != DmaDirection.None) _mapped++;
                else if (x.OldDirection != DmaDirection.None) _unmapped++;
            }
        });
        On<TcePagesPinned>((e, _) =>
        {
            _seen = true;
            _pins += e.Pages.Count;
        });
        On<TcePagesReleased>((e, _) =>
        {
            _seen = true;
            foreach (var r in e.Releases)
            {
                if (r.Errno != Errno.None) continue;
                _released++;
                if (r.Dirty && r.Direction.DeviceMayWrite()) _dirtied++;
            }
        });
        On<TceRequestDone>((e, _) =>
        {
            _seen = true;
            // The ioctls that change something; counter reads are not requests of the workload.
            if (e.Request is "stats" or "info") return;
            _requests++;
            if (e.Errno != Errno.None) _failed++;
        });
    }

    public override void Complete(IDictionary<string, double> metrics, long spanNs)
    {
        if (!_seen) return;
        metrics[Exchanges] = _exchanges;
        metrics[PagesMapped] = _mapped;
        metrics[PagesUnmapped] = _unmapped;
        metrics[Pins] = _pins;
        metrics[PinsReleased] = _released;
        metrics[PagesDirtied] = _dirtied;
        metrics[Requests] = _requests;
        metrics[RequestsFailed] = _failed;
        if (spanNs > 0) metrics[ExchangeRate] = _exchanges / (spanNs / 1e9);
    }
}
