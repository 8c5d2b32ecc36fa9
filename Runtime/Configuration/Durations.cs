namespace IommuSim.Runtime.Configuration;

/// <summary>Durations per HOCON.md: case-sensitive lowercase units, milliseconds when there is no unit.</summary>
internal static class Durations
{
    private const string UnitList = "ns, us, ms, s, m, h, d";

    private static readonly Dictionary<string, decimal> TicksPerUnit = BuildUnits();

    /// <summary>Converts "number + optional unit" text; returns an error message (without position) on failure.</summary>
    public static string? TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        string? error = TryParseTicks(text, out decimal ticks);
        if (error != null) return error;

        // TimeSpan counts 100ns ticks; finer values round to the nearest tick.
        decimal rounded = decimal.Round(ticks, MidpointRounding.AwayFromZero);
        if (rounded > long.MaxValue || rounded < long.MinValue)
        {
            return $"'{text}' is out of range for a duration";
        }

        duration = TimeSpan.FromTicks((long)rounded);
        return null;
    }

    /// <summary>As <see cref="TryParse"/>, in nanoseconds and without rounding to a tick.</summary>
    public static string? TryParseNanoseconds(string text, out double nanoseconds)
    {
        nanoseconds = 0;
        string? error = TryParseTicks(text, out decimal ticks);
        if (error != null) return error;
        if (UnitSyntax.Multiply(ticks, 100) is not decimal exact) return $"'{text}' is out of range for a duration";
        nanoseconds = (double)exact;
        return null;
    }

    private static string? TryParseTicks(string text, out decimal ticks)
    {
        ticks = 0;
        if (!UnitSyntax.TrySplit(text, out decimal number, out string unit))
        {
            return $"'{text}' is not a duration: expected a number followed by an optional unit ({UnitList})";
        }

        if (!TicksPerUnit.TryGetValue(unit.Length == 0 ? "ms" : unit, out decimal ticksPerUnit))
        {
            return $"'{text}' is not a duration: unknown unit '{unit}'; expected {UnitList}";
        }

        if (UnitSyntax.Multiply(number, ticksPerUnit) is not decimal exact)
        {
            return $"'{text}' is out of range for a duration";
        }

        ticks = exact;
        return null;
    }

    private static Dictionary<string, decimal> BuildUnits()
    {
        var units = new Dictionary<string, decimal>(StringComparer.Ordinal);
        Add(0.01m, "ns", "nano", "nanos", "nanosecond", "nanoseconds");
        Add(10m, "us", "micro", "micros", "microsecond", "microseconds");
        Add(TimeSpan.TicksPerMillisecond, "ms", "milli", "millis", "millisecond", "milliseconds");
        Add(TimeSpan.TicksPerSecond, "s", "second", "seconds");
        Add(TimeSpan.TicksPerMinute, "m", "minute", "minutes");
        Add(TimeSpan.TicksPerHour, "h", "hour", "hours");
        Add(TimeSpan.TicksPerDay, "d", "day", "days");
        return units;

        void Add(decimal ticks, params string[] names)
        {
            foreach (string name in names)
            {
                units.Add(name, ticks);
            }
        }
    }
}
