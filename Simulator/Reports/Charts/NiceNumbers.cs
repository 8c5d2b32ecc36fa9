namespace IommuSim.Simulator.Reports.Charts;

/// <summary>
/// The 1-2-5 series (1, 2, 5, 10, 20, 50, ...): bucket boundaries and axis steps on it read as
/// round times ("2 µs", "500 ns") in every unit.
/// </summary>
public static class NiceNumbers
{
    /// <summary>The smallest 1-2-5 value ≥ <paramref name="x"/> (1 for x ≤ 1).</summary>
    public static long Ceil(long x)
    {
        long v = 1;
        while (v < x) v = Next(v);
        return v;
    }

    /// <summary>The largest 1-2-5 value ≤ <paramref name="x"/> (1 for x ≤ 1).</summary>
    public static long Floor(long x)
    {
        long v = 1;
        while (Next(v) <= x && Next(v) > v) v = Next(v);
        return v;
    }

    /// <summary>The 1-2-5 value after <paramref name="v"/> (itself a 1-2-5 value); saturates at <see cref="long.MaxValue"/>.</summary>
    public static long Next(long v)
    {
        var decade = 1L;
        while (decade <= v / 10) decade *= 10;
        var mantissa = v / decade;
        var next = mantissa switch { 1 => 2, 2 => 5, _ => 10 };
        return decade > long.MaxValue / next ? long.MaxValue : next * decade;
    }

    /// <summary>A 1-2-5 step (any power of ten, fractions included) giving at most about <paramref name="target"/> steps over <paramref name="range"/>.</summary>
    public static double Step(double range, int target)
    {
        if (!(range > 0) || target < 1) return 1;
        var raw = range / target;
        var decade = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        foreach (var m in (ReadOnlySpan<double>)[1, 2, 5, 10])
        {
            if (m * decade >= raw * (1 - 1e-9)) return m * decade;
        }
        return 10 * decade;
    }

    /// <summary>Axis ticks: every multiple of a 1-2-5 step within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static IReadOnlyList<double> Ticks(double min, double max, int target)
    {
        if (max < min) (min, max) = (max, min);
        var step = Step(max - min, target);
        var ticks = new List<double>();
        for (var k = Math.Ceiling(min / step - 1e-9); k * step <= max + step * 1e-9; k++) ticks.Add(k * step);
        return ticks;
    }
}
