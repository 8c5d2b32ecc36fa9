namespace IommuSim.Runtime.Configuration;

/// <summary>
/// The path of the value being resolved, as a linked list so that entering a field costs one small object;
/// only rendered when an error message needs it.
/// </summary>
internal sealed class PathTrail(PathTrail? parent, string segment, int index = -1)
{
    public override string ToString()
    {
        var parts = new List<string>();
        for (var trail = this; trail is not null; trail = trail.Parent)
        {
            parts.Add(trail.Index >= 0 ? $"[{trail.Index}]" : ConfigPath.RenderElement(trail.Segment));
        }

        parts.Reverse();
        var text = new System.Text.StringBuilder();
        foreach (string part in parts)
        {
            if (text.Length > 0 && !part.StartsWith('['))
            {
                text.Append('.');
            }

            text.Append(part);
        }

        return text.ToString();
    }

    private PathTrail? Parent { get; } = parent;

    private string Segment { get; } = segment;

    private int Index { get; } = index;
}
