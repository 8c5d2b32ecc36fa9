using IommuSim.Runtime;
using IommuSim.Simulator.Reports;

namespace IommuSim.Simulator.Metrics;

// CONTRACT (lead): the observability helper replaces the body; the runner attaches one per run.
public sealed class MetricsCollector : IDisposable
{
    /// <summary>Subscribes to the trace events of <paramref name="system"/>; <paramref name="nowNs"/> reads simulated time (virtual clock; on the thread pool, elapsed wall time).</summary>
    public static MetricsCollector Attach(ActorSystem system, Func<long> nowNs) => throw new NotImplementedException("metrics: in progress");

    /// <summary>The run's named figures and series, once the run is over.</summary>
    public (IReadOnlyDictionary<string, double> Metrics, RunSeries Series) Complete() => throw new NotImplementedException("metrics: in progress");

    public void Dispose() { }
}
