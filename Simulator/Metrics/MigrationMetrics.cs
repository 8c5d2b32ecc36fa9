using IommuSim.Messages.Trace;
using IommuSim.Simulator.Reports;

namespace IommuSim.Simulator.Metrics;

/// <summary>
/// Live migrations (LiveMigrationDriver's <see cref="MigrationRoundCompleted"/> and
/// <see cref="MigrationFinished"/>): live rounds, the dirty pages each round after the first
/// copied (round 0 copies all of guest RAM), pages copied, and per migration the time to converge
/// (start to the end of the stop-and-copy) and the downtime (the stop-and-copy). With several
/// migrations the rounds and pages add up and the times are the longest. Each round is a
/// "migration-round" span of the timeline.
/// </summary>
public sealed class MigrationMetrics : MetricsHandler
{
    public const string TimelineKind = "migration-round";

    private readonly RunSeriesBuilder _series;
    private long _migrations;
    private long _converged;
    private long _rounds;
    private long _dirtyRounds;
    private long _dirtyPages;
    private long _dirtyMax;
    private long _pagesCopied;
    private long _convergenceNs;
    private long _downtimeNs;

    public MigrationMetrics(RunSeriesBuilder series)
    {
        _series = series;
        On<MigrationRoundCompleted>(OnRound);
        On<MigrationFinished>(OnFinished);
    }

    private void OnRound(MigrationRoundCompleted e, long now)
    {
        _rounds++;
        if (e.Round > 0)
        {
            _dirtyRounds++;
            _dirtyPages += e.DirtyPages;
            _dirtyMax = Math.Max(_dirtyMax, e.DirtyPages);
        }
        // The span ends now, on the collector's clock (the driver's own clock may start elsewhere on the thread pool).
        var duration = e.Duration.Ticks * 100;
        _series.AddSpan(new TimelineEvent(Math.Max(0, now - duration), duration, TimelineKind, e.Driver.Path.Name,
            $"round {e.Round}: {e.DirtyPages} dirty, {e.PagesCopied} copied"));
    }

    private void OnFinished(MigrationFinished e, long now)
    {
        _migrations++;
        if (e.Converged) _converged++;
        _pagesCopied += e.PagesCopied;
        _convergenceNs = Math.Max(_convergenceNs, e.Elapsed.Ticks * 100);
        _downtimeNs = Math.Max(_downtimeNs, e.Downtime.Ticks * 100);
    }

    public override void Complete(IDictionary<string, double> metrics, long spanNs)
    {
        if (_migrations == 0 && _rounds == 0) return;
        metrics[MetricNames.Migrations] = _migrations;
        metrics[MetricNames.MigrationsConverged] = _converged;
        metrics[MetricNames.MigrationRounds] = _rounds;
        if (_dirtyRounds > 0) metrics[MetricNames.MigrationDirtyPagesPerRound] = (double)_dirtyPages / _dirtyRounds;
        metrics[MetricNames.MigrationDirtyPagesMax] = _dirtyMax;
        metrics[MetricNames.MigrationPagesCopied] = _pagesCopied;
        if (_migrations > 0)
        {
            metrics[MetricNames.MigrationConvergenceNs] = _convergenceNs;
            metrics[MetricNames.MigrationDowntimeNs] = _downtimeNs;
        }
    }
}
