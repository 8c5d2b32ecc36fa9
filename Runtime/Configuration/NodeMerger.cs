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
    public static Node Merge(Node existing, Node newer, MergeMode mode)
    {
        if (newer.Shape == NodeShape.NonObject)
        {
            return newer;
        }

        if (newer.Shape == NodeShape.Object)
        {
            if (newer.HidesFallbacks)
            {
                return newer;
            }

            return existing.Shape switch
            {
                NodeShape.Object => MergeObjects(existing, newer, mode),
                NodeShape.NonObject => ReplacingNonObject(newer, mode),
                _ => MergeNode.Stack(newer, existing),
            };
        }

        return MergeNode.Stack(newer, existing);
    }

    /// <summary>An object replacing a non-object: still an object, but marked so that it never merges further down.</summary>
    private static Node ReplacingNonObject(Node newer, MergeMode mode)
    {
        if (newer is ResolvedNode { Value: ConfigObject resolved })
        {
            return new ResolvedNode(resolved.IgnoringFallbacks());
        }

        var obj = mode == MergeMode.Parse ? (ObjectNode)newer : ObjectNode.CopyOf(newer);
        obj.IgnoreFallbacks();
        return obj;
    }

    private static ObjectNode MergeObjects(Node existing, Node newer, MergeMode mode)
    {
        StackGuard.EnsureStack();
        ObjectNode target;
        if (mode == MergeMode.Parse && existing is ObjectNode owned)
        {
            target = owned;
            foreach (var (key, value) in Fields(newer))
            {
                target.Set(key, target.TryGet(key, out var old) ? Merge(old, value, mode) : value);
            }
        }
        else
        {
            var below = ObjectNode.CopyOf(existing);
            target = new ObjectNode(null);
            foreach (var (key, value) in Fields(newer))
            {
                target.Set(key, below.TryGet(key, out var old) ? Merge(old, value, mode) : value);
            }

            foreach (string key in below.Keys)
            {
                if (!target.TryGet(key, out _))
                {
                    target.Set(key, below[key]);
                }
            }

            if (below.IgnoresFallbacks)
            {
                target.IgnoreFallbacks();
            }
        }

        // The merged object is reported where its highest-priority definition was written.
        target.MoveTo(newer.Position ?? existing.Position);
        return target;
    }

    private static IEnumerable<(string Key, Node Value)> Fields(Node objectLike)
    {
        switch (objectLike)
        {
            case ObjectNode fields:
                foreach (string key in fields.Keys)
                {
                    yield return (key, fields[key]);
                }

                break;
            case ResolvedNode { Value: ConfigObject resolved }:
                foreach (var (key, value) in resolved)
                {
                    yield return (key, new ResolvedNode(value));
                }

                break;
        }
    }
}
