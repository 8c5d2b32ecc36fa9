namespace IommuSim.Runtime.Configuration;

/// <summary>
/// Path lookup. A lookup keeps a "view": every definition found at the current path, highest priority
/// first, cut after the first one that hides the rest (a non-object). Views only hold object and array
/// nodes and resolved values: substitutions and concatenations met on the way are replaced by what they
/// stand for, so nothing is resolved that the path does not need.
/// </summary>
internal sealed partial class Resolver
{
    /// <summary>The definitions at <paramref name="path"/>, or null when there are none.</summary>
    private List<Item>? Lookup(string[] path)
    {
        var view = new List<Item> { Item.Of(_root, null) };
        PathTrail? trail = null;
        foreach (string key in path)
        {
            trail = new PathTrail(trail, key);
            var next = new List<Item>();
            foreach (var item in view)
            {
                if (item.Node is ObjectNode obj)
                {
                    if (obj.TryGet(key, out var child) && Expand(child, Origin.Field, trail, next))
                    {
                        break;
                    }
                }
                else if (item.Value is ConfigObject resolved)
                {
                    if (resolved.TryGetValue(key, out var childValue) && Add(childValue, next))
                    {
                        break;
                    }
                }
                else
                {
                    // A non-object has no fields and hides everything below it.
                    break;
                }
            }

            if (next.Count == 0)
            {
                return null;
            }

            view = next;
        }

        return view;
    }

    /// <summary>The merged value of a view (top over bottom); null for an empty view.</summary>
    private ConfigValue? ResolveItems(List<Item> items)
    {
        ConfigValue? result = null;
        for (int i = items.Count - 1; i >= 0; i--)
        {
            var value = items[i].Value ?? ResolveIn(items[i].Node!, Origin.Field, items[i].Path);
            if (value is not null)
            {
                result = result is null ? value : MergeValues(value, result);
            }
        }

        return result;
    }

    /// <summary>Appends the definitions <paramref name="node"/> stands for; true when they hide everything below.</summary>
    private bool Expand(Node node, Origin origin, PathTrail? trail, List<Item> output)
    {
        if (_restrictions.TryGetValue(node, out var restriction))
        {
            return ExpandRestricted(node, restriction, origin, trail, output);
        }

        switch (node)
        {
            case ResolvedNode resolved:
                return Add(resolved.Value, output);
            case ObjectNode obj:
                output.Add(Item.Of(obj, trail));
                return obj.IgnoresFallbacks;
            case ArrayNode:
                output.Add(Item.Of(node, trail));
                return true;
            case MergeNode stack:
                return ExpandStack(stack, 0, trail, output);
            default:
                return LookThrough(node, origin, trail, output);
        }
    }

    private bool ExpandStack(MergeNode stack, int from, PathTrail? trail, List<Item> output)
    {
        for (int i = from; i < stack.Elements.Length; i++)
        {
            if (Expand(stack.Elements[i], Origin.InStack(stack, i), trail, output))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A field being resolved. From its own resolution this is a self-reference, which sees only what lies
    /// below the field (possibly nothing: undefined). From another field's resolution, look forward through
    /// its definition; if that is a cycle, look back at what lies below it instead (HOCON.md).
    /// </summary>
    private bool ExpandRestricted(Node node, Restriction restriction, Origin origin, PathTrail? trail, List<Item> output)
    {
        _frames[^1].Depend(restriction.Owner);
        var below = restriction.Stack;
        bool anythingBelow = below is not null && restriction.From < below.Elements.Length;
        if (restriction.Owner == NearestRestrictionOwner())
        {
            return anythingBelow && ExpandStack(below!, restriction.From, trail, output);
        }

        var forward = new List<Item>();
        try
        {
            bool hides = node is MergeNode stack ? ExpandStack(stack, 0, trail, forward) : LookThrough(node, origin, trail, forward);
            output.AddRange(forward);
            return hides;
        }
        catch (SubstitutionCycleException cycle) when (anythingBelow)
        {
            _frames[^1].Depend(cycle.Frame);
            return ExpandStack(below!, restriction.From, trail, output);
        }
    }

    /// <summary>
    /// The definitions a substitution or concatenation stands for, without resolving more than needed: a
    /// substitution stands for its target's definitions, an object concatenation for its pieces (later
    /// pieces first). A string or array concatenation is resolved, since it has no fields to look into.
    /// </summary>
    private bool LookThrough(Node node, Origin origin, PathTrail? trail, List<Item> output)
    {
        if (_memo.TryGetValue(node, out var memoized))
        {
            return Add(memoized, output);
        }

        if (_lookingThrough.TryGetValue(node, out int active))
        {
            throw Cycle(active, trail);
        }

        int index = Enter(node, origin, trail);
        _lookingThrough.Add(node, index);
        var saved = _activeSubstitution;
        try
        {
            if (node is SubstitutionNode substitution)
            {
                _activeSubstitution = substitution;
                return AddAll(SubstitutionView(substitution), output);
            }

            return LookThroughConcatenation((ConcatenationNode)node, origin, trail, output);
        }
        finally
        {
            _activeSubstitution = saved;
            _lookingThrough.Remove(node);
            Exit(index);
        }
    }

    private bool LookThroughConcatenation(ConcatenationNode concatenation, Origin origin, PathTrail? trail, List<Item> output)
    {
        var pieces = new List<Item>[concatenation.Pieces.Length];
        bool objects = true;
        for (int i = 0; i < pieces.Length; i++)
        {
            pieces[i] = [];
            Expand(concatenation.Pieces[i], Origin.Piece, trail, pieces[i]);
            objects &= pieces[i].Count == 0 || pieces[i][0].IsObject;
        }

        if (!objects)
        {
            return Add(ResolveIn(concatenation, origin, trail), output);
        }

        for (int i = pieces.Length - 1; i >= 0; i--)
        {
            foreach (var item in pieces[i])
            {
                output.Add(item);
                if (item.HidesBelow)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool Add(ConfigValue? value, List<Item> output)
    {
        if (value is null)
        {
            return false;
        }

        output.Add(Item.Of(value));
        return HidesBelow(value);
    }

    private static bool AddAll(List<Item> items, List<Item> output)
    {
        output.AddRange(items);
        return items.Count > 0 && items[^1].HidesBelow;
    }

    /// <summary>A non-object, or an object that replaced one, hides every definition below it.</summary>
    private static bool HidesBelow(ConfigValue value) => value is not ConfigObject { IgnoresFallbacks: false };

    /// <summary>
    /// A definition found by a lookup: an object or array node still to resolve (with the path it was found
    /// at, for cycle messages), or a resolved value.
    /// </summary>
    private readonly struct Item
    {
        private Item(Node? node, PathTrail? path, ConfigValue? value)
        {
            Node = node;
            Path = path;
            Value = value;
        }

        public Node? Node { get; }

        public PathTrail? Path { get; }

        public ConfigValue? Value { get; }

        public bool IsObject => Node is ObjectNode || Value is ConfigObject;

        public bool HidesBelow => Node switch
        {
            ObjectNode obj => obj.IgnoresFallbacks,
            null => HidesBelow(Value!),
            _ => true,
        };

        public static Item Of(Node node, PathTrail? path) =>
            node is ResolvedNode resolved ? new Item(null, null, resolved.Value) : new Item(node, path, null);

        public static Item Of(ConfigValue value) => new(null, null, value);
    }
}
