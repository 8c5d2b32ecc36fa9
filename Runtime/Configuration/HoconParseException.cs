namespace IommuSim.Runtime.Configuration;

/// <summary>
/// A HOCON source is syntactically invalid. Always carries the position of the offending token; the message
/// says what was expected and what was found.
/// </summary>
public sealed class HoconParseException : ConfigException
{
    public HoconParseException(ConfigPosition position, string reason)
        : base(position, reason)
    {
    }

    /// <summary>The position of the offending token (never null for syntax errors).</summary>
    public new ConfigPosition Position => base.Position!;
}
