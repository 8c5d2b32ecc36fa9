namespace IommuSim.Runtime.Configuration;

/// <summary>An explicit <c>null</c>: getters treat it like a missing setting when they have a default.</summary>
public sealed class ConfigNull : ConfigValue
{
    internal ConfigNull(ConfigPosition? position)
        : base(position)
    {
    }

    public override ConfigValueType ValueType => ConfigValueType.Null;

    internal override string Describe() => "null";
}
