namespace IommuSim.Runtime.Configuration;

/// <summary>An array literal whose elements may still contain substitutions.</summary>
internal sealed class ArrayNode(ConfigPosition? position, List<Node> elements) : Node(position)
{
    public List<Node> Elements { get; } = elements;

    public override NodeShape Shape => NodeShape.NonObject;
}
