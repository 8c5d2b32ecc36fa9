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
        if (!UnitSyntax.TrySplit(text, out decimal number, out string unit))
        {
            return $"'{text}' is not a duration: expected a number followed by an optional unit ({UnitList})";
        }

        if (!TicksPerUnit.TryGetValue(unit.Length == 0 ? "ms" : unit, out decimal ticksPerUnit))
        {
            return $"'{text}' is not a duration: unknown unit '{unit}'; expected {UnitList}";
        }

        // TimeSpan counts 100ns ticks; finer values round to the nearest tick.
        decimal? ticks = UnitSyntax.Multiply(number, ticksPerUnit);
        decimal rounded = ticks is decimal exact ? decimal.Round(exact, MidpointRounding.AwayFromZero) : 0;
        if (ticks is null || rounded > long.MaxValue || rounded < long.MinValue)
        {
            return $"'{text}' is out of range for a duration";
        }

        duration = TimeSpan.FromTicks((long)rounded);
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
