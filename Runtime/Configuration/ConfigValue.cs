namespace IommuSim.Runtime.Configuration;

/// <summary>
/// A resolved, immutable configuration value. The subclasses are <see cref="ConfigObject"/>,
/// <see cref="ConfigArray"/>, <see cref="ConfigString"/>, <see cref="ConfigNumber"/>,
/// <see cref="ConfigBoolean"/> and <see cref="ConfigNull"/>; no others can exist.
/// </summary>
public abstract class ConfigValue
{
    private protected ConfigValue(ConfigPosition? position) => Position = position;

    /// <summary>Where the value was written (for a substitution: where the referenced value was written).</summary>
    public ConfigPosition? Position { get; }

    public abstract ConfigValueType ValueType { get; }

    /// <summary>HOCON text for this value (objects and arrays over several lines).</summary>
    public string Render() => ConfigRenderer.Render(this);

    public override string ToString() => Render();

    /// <summary>Type and (for simple values) the value itself, for error messages: <c>string "abc"</c>.</summary>
    internal abstract string Describe();
}
