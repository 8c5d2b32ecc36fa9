namespace IommuSim.Runtime.Configuration;

/// <summary>
/// Sizes in bytes per HOCON.md: "kB"/"kilobyte" are powers of ten, "K"/"Ki"/"KiB"/"kibibyte" (and the bare
/// one-letter forms, either case) powers of two; bytes when there is no unit.
/// </summary>
internal static class ByteSizes
{
    private const string UnitList = "B, K, KiB, kB, M, MiB, MB, G, GiB, GB, T, TiB, TB, P, PiB, PB, E, EiB, EB (or their names, e.g. kibibytes)";

    private static readonly Dictionary<string, decimal> BytesPerUnit = BuildUnits();

    /// <summary>Converts "number + optional unit" text; returns an error message (without position) on failure.</summary>
    public static string? TryParse(string text, out long bytes)
    {
        bytes = 0;
        if (!UnitSyntax.TrySplit(text, out decimal number, out string unit))
        {
            return $"'{text}' is not a size in bytes: expected a number followed by an optional unit ({UnitList})";
        }

        if (!BytesPerUnit.TryGetValue(unit.Length == 0 ? "B" : unit, out decimal perUnit))
        {
            return $"'{text}' is not a size in bytes: unknown unit '{unit}'; expected {UnitList}";
        }

        decimal? product = UnitSyntax.Multiply(number, perUnit);
        if (product is not decimal exact || exact > long.MaxValue || exact < long.MinValue)
        {
            return $"'{text}' is out of range for a size in bytes";
        }

        if (exact != decimal.Truncate(exact))
        {
            return $"'{text}' is not a whole number of bytes";
        }

        bytes = (long)exact;
        return null;
    }

    private static Dictionary<string, decimal> BuildUnits()
    {
        var units = new Dictionary<string, decimal>(StringComparer.Ordinal)
        {
            ["B"] = 1,
            ["b"] = 1,
            ["byte"] = 1,
            ["bytes"] = 1,
        };

        // (letter, decimal prefix, binary prefix); the exponent grows by one per row.
        (char Letter, string Decimal, string Binary)[] prefixes =
        [
            ('K', "kilo", "kibi"),
            ('M', "mega", "mebi"),
            ('G', "giga", "gibi"),
            ('T', "tera", "tebi"),
            ('P', "peta", "pebi"),
            ('E', "exa", "exbi"),
            ('Z', "zetta", "zebi"),
            ('Y', "yotta", "yobi"),
        ];

        decimal powerOfTen = 1;
        decimal powerOfTwo = 1;
        foreach (var (letter, decimalName, binaryName) in prefixes)
        {
            powerOfTen *= 1000;
            powerOfTwo *= 1024;
            string upper = letter.ToString();
            string lower = char.ToLowerInvariant(letter).ToString();

            // Kilo is the one prefix whose SI symbol is lowercase: "kB", but "MB", "GB", ...
            units.Add(letter == 'K' ? "kB" : upper + "B", powerOfTen);
            units.Add(decimalName + "byte", powerOfTen);
            units.Add(decimalName + "bytes", powerOfTen);
            foreach (string name in new[] { upper, lower, upper + "i", upper + "iB", binaryName + "byte", binaryName + "bytes" })
            {
                units.Add(name, powerOfTwo);
            }
        }

        return units;
    }
}
