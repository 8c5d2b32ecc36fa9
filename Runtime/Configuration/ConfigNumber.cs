using System.Globalization;

namespace IommuSim.Runtime.Configuration;

/// <summary>A number, kept as written so concatenation and rendering reproduce the source text.</summary>
public sealed class ConfigNumber : ConfigValue
{
    private readonly long? _integer;

    private ConfigNumber(string text, double value, long? integer, ConfigPosition? position)
        : base(position)
    {
        Text = text;
        Value = value;
        _integer = integer;
    }

    /// <summary>The number as written in the source, e.g. <c>1e5</c> or <c>007</c>.</summary>
    public string Text { get; }

    public double Value { get; }

    public override ConfigValueType ValueType => ConfigValueType.Number;

    /// <summary>The value as a 64-bit integer when it is whole and in range (<c>1e3</c> counts, <c>1.5</c> does not).</summary>
    public bool TryGetInt64(out long value)
    {
        if (_integer is long exact)
        {
            value = exact;
            return true;
        }

        // 2^63 is exactly representable; anything at or above it does not fit.
        if (Math.Floor(Value) == Value && Value >= -9223372036854775808.0 && Value < 9223372036854775808.0)
        {
            value = (long)Value;
            return true;
        }

        value = 0;
        return false;
    }

    internal override string Describe() => "number " + Text;

    /// <summary>
    /// Parses text already known to match the JSON number grammar. Fails only when the value is not finite
    /// (e.g. <c>1e999</c>), which JSON numbers cannot express either.
    /// </summary>
    internal static bool TryCreate(string text, ConfigPosition? position, out ConfigNumber number)
    {
        bool integral = text.AsSpan().IndexOfAny('.', 'e', 'E') < 0;
        if (integral && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long exact))
        {
            number = new ConfigNumber(text, exact, exact, position);
            return true;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value))
        {
            number = new ConfigNumber(text, value, null, position);
            return true;
        }

        number = null!;
        return false;
    }
}
