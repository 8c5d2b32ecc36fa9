namespace IommuSim.Runtime.Configuration;

public sealed class ConfigString : ConfigValue
{
    internal ConfigString(string value, bool isQuoted, ConfigPosition? position)
        : base(position)
    {
        Value = value;
        IsQuoted = isQuoted;
    }

    public string Value { get; }

    /// <summary>True when written as one quoted string; false for unquoted text and concatenations.</summary>
    public bool IsQuoted { get; }

    public override ConfigValueType ValueType => ConfigValueType.String;

    internal override string Describe() => "string " + ConfigRenderer.Quote(Shorten(Value));

    private static string Shorten(string text) => text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");
}
