namespace IommuSim.Runtime.Configuration;

/// <summary>
/// A configuration could not be read or a setting could not be used (missing key, wrong type, unresolved
/// substitution). When the position is known the message starts with "file:line:col: ".
/// </summary>
public class ConfigException : Exception
{
    public ConfigException()
        : this("invalid configuration")
    {
    }

    public ConfigException(string message)
        : base(message)
    {
        Reason = message;
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = message;
    }

    public ConfigException(ConfigPosition? position, string reason)
        : this(position, reason, null)
    {
    }

    public ConfigException(ConfigPosition? position, string reason, Exception? innerException)
        : base(position is null ? reason : $"{position}: {reason}", innerException)
    {
        Position = position;
        Reason = reason;
    }

    /// <summary>Where the problem is, when it can be attributed to a place in a configuration source.</summary>
    public ConfigPosition? Position { get; }

    /// <summary>The message without the position prefix.</summary>
    public string Reason { get; }
}
