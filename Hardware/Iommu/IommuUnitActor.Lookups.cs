using IommuSim.Messages.Trace;

namespace IommuSim.Hardware.Iommu;

// How each burst's pages were translated, for the simulator's metrics (IOTLB hit rate, walk
// levels): counted per burst while it runs, published once when it ends.
public sealed partial class IommuUnitActor
{
    /// <summary>A burst's pages by how they were translated; each translated page counts once.</summary>
    private struct LookupCounts
    {
        public int MicroTlbHits;
        public int IotlbHits;
        public int WalkedPages;
        public int WalkLevels;
        public int BypassPages;
    }

    /// <summary>Publishes the burst's <see cref="IotlbLookups"/> if anyone listens (checked once per burst).</summary>
    private void PublishLookups(DmaJob job)
    {
        var events = Context.System.EventStream;
        if (!events.HasSubscribers(typeof(IotlbLookups))) return;
        var l = job.Lookups;
        var ats = job.Ats is not null;
        events.Publish(new IotlbLookups(_config.Name, job.Device.Name, ats, job.Write,
            l.MicroTlbHits, l.IotlbHits, l.WalkedPages, l.WalkLevels, l.BypassPages, ats ? 0 : job.Done));
    }
}
