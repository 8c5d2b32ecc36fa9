namespace IommuSim.LoadTests;

/// <summary>How many unmeasured warm-up runs precede how many measured ones.</summary>
public sealed record MeasureSettings(int Warmups, int Runs)
{
    /// <summary>One warm-up (tiered JIT, thread-pool growth, first-touch allocations), three measured runs.</summary>
    public static readonly MeasureSettings Default = new(1, 3);
}

/// <summary>The measuring discipline every benchmark shares: warm-up, measured runs, median.</summary>
public static class Measure
{
    /// <summary>
    /// Runs <paramref name="run"/> <see cref="MeasureSettings.Warmups"/> times unmeasured, then
    /// <see cref="MeasureSettings.Runs"/> times, and returns the measured runs' results in order.
    /// A full collection precedes every run, so that no run pays for the garbage of the one before.
    /// </summary>
    public static IReadOnlyList<T> Runs<T>(MeasureSettings settings, Func<T> run)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(run);
        if (settings.Runs < 1) throw new ArgumentOutOfRangeException(nameof(settings), "at least one measured run is needed");
        for (var i = 0; i < settings.Warmups; i++)
        {
            FullCollect();
            run();
        }
        var results = new T[settings.Runs];
        for (var i = 0; i < settings.Runs; i++)
        {
            FullCollect();
            results[i] = run();
        }
        return results;
    }

    /// <summary>The middle value (the mean of the two middle ones for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) throw new ArgumentException("the median of no values", nameof(values));
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>Events per second; an elapsed time below the clock's resolution counts as one tick.</summary>
    public static double PerSecond(long events, TimeSpan elapsed) =>
        events / Math.Max(elapsed.TotalSeconds, 1.0 / TimeSpan.TicksPerSecond);

    /// <summary>
    /// A blocking, compacting full collection, twice around the finalizers: what is left is what is
    /// reachable, which is what a heap-size difference must compare.
    /// </summary>
    public static void FullCollect()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    /// <summary>Bytes of reachable objects on the managed heap, after a full collection.</summary>
    public static long LiveHeapBytes()
    {
        FullCollect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
