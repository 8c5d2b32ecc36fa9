namespace IommuSim.Runtime.Configuration;

public sealed class ConfigBoolean : ConfigValue
{
    internal ConfigBoolean(bool value, ConfigPosition? position)
        : base(position) => Value = value;

    public bool Value { get; }

    public override ConfigValueType ValueType => ConfigValueType.Boolean;

    internal string Text => Value ? "true" : "false";

    internal override string Describe() => "boolean " + Text;
}
