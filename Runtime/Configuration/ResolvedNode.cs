namespace IommuSim.Runtime.Configuration;

/// <summary>A value that needs no resolution: every literal, and any value taken from a resolved config.</summary>
internal sealed class ResolvedNode(ConfigValue value) : Node(value.Position)
{
    public ConfigValue Value { get; } = value;

    public override NodeShape Shape => Value is ConfigObject ? NodeShape.Object : NodeShape.NonObject;
}
