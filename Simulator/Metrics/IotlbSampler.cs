using IommuSim.Simulator.Reports;

namespace IommuSim.Simulator.Metrics;

/// <summary>
/// Cumulative IOTLB hits and misses over time, sampled after each translated burst, in bounded
/// memory: when the samples reach twice <see cref="Capacity"/> every other one is dropped and from
/// then on only every other burst is sampled (the stride doubles), so a run of any length keeps
/// between <see cref="Capacity"/> and twice as many samples, spread over the whole run. The first
/// sample is the attach time with nothing counted; the last is always the latest count.
/// </summary>
public sealed class IotlbSampler
{
    public const int DefaultCapacity = 512;

    private readonly List<IotlbSample> _samples = [];
    private long _stride = 1;
    private long _bursts;
    private IotlbSample? _latest;

    public IotlbSampler(int capacity = DefaultCapacity)
    {
        if (capacity < 2) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "must be at least 2");
        Capacity = capacity;
    }

    public int Capacity { get; }

    public long Hits { get; private set; }

    public long Misses { get; private set; }

    /// <summary>The sample at the start of the run (nothing counted yet).</summary>
    public void Start(long nowNs) => _samples.Add(new IotlbSample(nowNs, 0, 0));

    /// <summary>Counts a burst's lookups at <paramref name="nowNs"/> and samples the totals when the stride says so.</summary>
    public void Add(long nowNs, long hits, long misses)
    {
        Hits += hits;
        Misses += misses;
        var sample = new IotlbSample(nowNs, Hits, Misses);
        _latest = sample;
        if (++_bursts % _stride != 0) return;
        _samples.Add(sample);
        if (_samples.Count < 2 * Capacity) return;
        // Keep the even positions (the start sample among them): half as many, as evenly spread.
        var kept = 0;
        for (var i = 0; i < _samples.Count; i += 2) _samples[kept++] = _samples[i];
        _samples.RemoveRange(kept, _samples.Count - kept);
        _stride *= 2;
    }

    /// <summary>The samples, ending with the latest totals at <paramref name="nowNs"/>.</summary>
    public IReadOnlyList<IotlbSample> Samples(long nowNs)
    {
        var list = new List<IotlbSample>(_samples);
        var end = new IotlbSample(Math.Max(nowNs, _latest?.TimeNs ?? nowNs), Hits, Misses);
        if (list.Count == 0 || list[^1] != end) list.Add(end);
        return list;
    }
}
