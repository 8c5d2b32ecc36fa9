using System.Globalization;

namespace IommuSim.Runtime.Configuration;

/// <summary>
/// HOCON's "units format": optional whitespace, a number, optional whitespace, an optional unit made only of
/// letters, optional whitespace (e.g. <c>10ms</c>, <c>5 s</c>, <c>1.5 GiB</c>).
/// </summary>
internal static class UnitSyntax
{
    /// <summary>Splits <paramref name="text"/> into its number and unit; false when there is no valid number.</summary>
    public static bool TrySplit(string text, out decimal number, out string unit)
    {
        string trimmed = text.Trim();
        int unitStart = trimmed.Length;
        while (unitStart > 0 && char.IsLetter(trimmed[unitStart - 1]))
        {
            unitStart--;
        }

        unit = trimmed[unitStart..];
        string digits = trimmed[..unitStart].TrimEnd();
        number = 0;
        return NumberSyntax.IsNumber(digits)
            && decimal.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out number);
    }

    /// <summary><paramref name="number"/> × <paramref name="factor"/>, or null when the product overflows.</summary>
    public static decimal? Multiply(decimal number, decimal factor)
    {
        try
        {
            return number * factor;
        }
        catch (OverflowException)
        {
            return null;
        }
    }
}
