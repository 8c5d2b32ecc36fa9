using System.Globalization;
using System.Text;

namespace IommuSim.Simulator.Reports;

/// <summary>
/// How the renderers print report values: times in ns/µs/ms/s with three significant digits,
/// counts with thousands separators, and strings from the report made single-line and free of
/// control characters (a scenario name holding ESC must not reach a terminal as an escape code).
/// </summary>
public static class ReportFormat
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A simulated or wall time: "850 ns", "1.23 µs", "12.3 ms", "4 s". Negative values keep their sign.</summary>
    public static string Duration(double ns)
    {
        if (double.IsNaN(ns) || double.IsInfinity(ns)) return ns.ToString(Inv);
        var sign = ns < 0 ? "-" : "";
        var a = Math.Abs(ns);
        var (scaled, unit) = a switch
        {
            < 1e3 => (a, "ns"),
            < 1e6 => (a / 1e3, "µs"),
            < 1e9 => (a / 1e6, "ms"),
            _ => (a / 1e9, "s"),
        };
        return $"{sign}{Significant(scaled)} {unit}";
    }

    /// <summary>Three significant digits without trailing zeros: 1 → "1", 1.234 → "1.23", 12.34 → "12.3", 123.4 → "123".</summary>
    public static string Significant(double v)
    {
        var a = Math.Abs(v);
        var format = a switch { < 10 => "0.##", < 100 => "0.#", _ => "#,0" };
        // Rounding can carry into the next decade (9.996 → "10"); that is still three digits.
        return v.ToString(format, Inv);
    }

    public static string Count(long n) => n.ToString("#,0", Inv);

    /// <summary>A fraction in [0, 1] as a percentage with one decimal.</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("0.0", Inv) + " %";

    public static string Hash(ulong? hash) => hash is { } h ? h.ToString("x16", Inv) : "none";

    /// <summary>
    /// A metric by its name's unit suffix: "_ns" is a simulated time, "_ratio" and "hit_rate" a
    /// fraction (shown as a percentage when within [0, 1]), "_per_s" a rate; anything else a plain
    /// number (integers with separators).
    /// </summary>
    public static string Metric(string name, double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value)) return value.ToString(Inv);
        if (name.EndsWith("_ns", StringComparison.Ordinal)) return Duration(value);
        if ((name.EndsWith("_ratio", StringComparison.Ordinal) || name.EndsWith("hit_rate", StringComparison.Ordinal)) && value is >= 0 and <= 1)
            return Percent(value);
        if (name.EndsWith("_per_s", StringComparison.Ordinal)) return Number(value) + " /s";
        return Number(value);
    }

    /// <summary>An integer with separators, else up to four decimals.</summary>
    public static string Number(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e15 ? value.ToString("#,0", Inv) : value.ToString("#,0.####", Inv);

    /// <summary>
    /// <paramref name="s"/> on one line with every control character written as an escape
    /// ("\n", "\x1B"), so that report strings cannot move the cursor or colour a terminal.
    /// </summary>
    public static string SingleLine(string s)
    {
        if (!s.Any(char.IsControl)) return s;
        var sb = new StringBuilder(s.Length + 8);
        foreach (var c in s)
        {
            switch (c)
            {
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(c)) sb.Append("\\x").Append(((int)c).ToString("X2", Inv));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.ToString();
    }
}
