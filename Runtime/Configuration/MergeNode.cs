namespace IommuSim.Runtime.Configuration;

/// <summary>
/// Several definitions of one field that cannot be merged before resolution because some of them depend on
/// substitutions. <see cref="Elements"/> is ordered from the latest definition (highest priority) down.
/// A self-referential element (<c>path = ${path}":/bin"</c>) sees only the elements below it.
/// </summary>
internal sealed class MergeNode : Node
{
    private MergeNode(Node[] elements)
        : base(elements[0].Position) => Elements = elements;

    public Node[] Elements { get; }

    public override NodeShape Shape => NodeShape.Unresolved;

    /// <summary>
    /// <paramref name="top"/> layered over <paramref name="below"/>. Anything under the first element that
    /// certainly hides its fallbacks can never be seen (by merging or by a self-reference), so it is dropped.
    /// </summary>
    public static MergeNode Stack(Node top, Node below)
    {
        var elements = new List<Node>();
        if (Append(elements, top))
        {
            Append(elements, below);
        }

        return new MergeNode([.. elements]);
    }

    // Returns false once an element hides everything after it.
    private static bool Append(List<Node> elements, Node node)
    {
        if (node is MergeNode stack)
        {
            foreach (var element in stack.Elements)
            {
                if (!Append(elements, element))
                {
                    return false;
                }
            }

            return true;
        }

        elements.Add(node);
        return !node.HidesFallbacks;
    }
}
