namespace IommuSim.Runtime.Configuration;

/// <summary>
/// HOCON's merge rule for two definitions of the same value: objects merge field by field (the newer field
/// wins, recursively), anything else replaces what was there. When either side depends on substitutions
/// the decision is deferred to resolution by stacking both in a <see cref="MergeNode"/>.
/// </summary>
internal static class NodeMerger
{
    /// <param name="existing">The earlier (lower-priority) definition.</param>
    /// <param name="newer">The later (higher-priority) definition.</param>
    /// <param name="inPlace">
    /// True only while parsing, when every object node reachable from <paramref name="existing"/> belongs to
    /// the parse and may be updated instead of copied (copying would make long files quadratic).
    /// </param>
    public static Node Merge(Node existing, Node newer, bool inPlace)
    {
        if (newer.Shape == NodeShape.NonObject)
        {
            return newer;
        }

        if (newer.Shape == NodeShape.Object)
        {
            return existing.Shape switch
            {
                NodeShape.Object => MergeObjects(existing, newer, inPlace),
                NodeShape.NonObject => newer,
                _ => MergeNode.Stack(newer, existing),
            };
        }

        return MergeNode.Stack(newer, existing);
    }

    private static ObjectNode MergeObjects(Node existing, Node newer, bool inPlace)
    {
        StackGuard.EnsureStack();
        var target = inPlace && existing is ObjectNode owned ? owned : ObjectNode.CopyOf(existing);
        switch (newer)
        {
            case ObjectNode fields:
                foreach (string key in fields.Keys)
                {
                    SetMerged(target, key, fields[key], inPlace);
                }

                break;
            case ResolvedNode { Value: ConfigObject resolved }:
                foreach (var (key, value) in resolved)
                {
                    SetMerged(target, key, new ResolvedNode(value), inPlace);
                }

                break;
        }

        // The merged object is reported where its highest-priority definition was written.
        target.MoveTo(newer.Position ?? target.Position);
        return target;
    }

    private static void SetMerged(ObjectNode target, string key, Node value, bool inPlace) =>
        target.Set(key, target.TryGet(key, out var old) ? Merge(old, value, inPlace) : value);
}
