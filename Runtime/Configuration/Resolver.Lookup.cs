namespace IommuSim.Runtime.Configuration;

/// <summary>
/// Path lookup for substitutions. A lookup keeps a "view": every definition found at the current path, from
/// highest priority down, cut after the first one that hides the rest (a non-object). Only the nodes on the
/// way that depend on substitutions get resolved; plain objects are walked field by field.
/// </summary>
internal sealed partial class Resolver
{
    private List<Item>? Lookup(string[] path, out PathTrail? trail)
    {
        var view = new List<Item> { Item.Of(_root) };
        trail = null;
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
                    if (resolved.TryGetValue(key, out var childValue))
                    {
                        next.Add(Item.Of(childValue));
                        if (childValue is not ConfigObject)
                        {
                            break;
                        }
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

    /// <summary>Appends what <paramref name="node"/> stands for to <paramref name="output"/>; true when that hides everything below.</summary>
    private bool Expand(Node node, Origin origin, PathTrail? trail, List<Item> output)
    {
        if (_restrictions.TryGetValue(node, out var restriction))
        {
            return ExpandRestricted(restriction, trail, output);
        }

        switch (node)
        {
            case ResolvedNode resolved:
                output.Add(Item.Of(resolved.Value));
                return resolved.Value is not ConfigObject;
            case ObjectNode:
                output.Add(Item.Of(node));
                return false;
            case ArrayNode:
                output.Add(Item.Of(node));
                return true;
            case MergeNode stack:
                return ExpandStack(stack, 0, trail, output);
            default:
                var value = ResolveIn(node, origin, trail);
                if (value is null)
                {
                    return false;
                }

                output.Add(Item.Of(value));
                return value is not ConfigObject;
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
    /// A field being resolved is visible only through what lies below it. From inside its own resolution
    /// that is a self-reference (possibly to nothing: undefined); from another field's resolution with
    /// nothing below, no order of evaluation can produce a value, so it is a cycle.
    /// </summary>
    private bool ExpandRestricted(Restriction restriction, PathTrail? trail, List<Item> output)
    {
        _frames[^1].Depend(restriction.Owner);
        bool anythingBelow = restriction.Stack is not null && restriction.From < restriction.Stack.Elements.Length;
        if (!anythingBelow && restriction.Owner != NearestRestrictionOwner())
        {
            throw Cycle(restriction.Owner, trail);
        }

        return restriction.Stack is not null && ExpandStack(restriction.Stack, restriction.From, trail, output);
    }

    private int NearestRestrictionOwner()
    {
        for (int i = _frames.Count - 1; i >= 0; i--)
        {
            if (_frames[i].OwnsRestriction)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A definition found by a lookup: an object or array node still to resolve, or a resolved value.</summary>
    private readonly struct Item
    {
        private Item(Node? node, ConfigValue? value)
        {
            Node = node;
            Value = value;
        }

        public Node? Node { get; }

        public ConfigValue? Value { get; }

        public static Item Of(Node node) => node is ResolvedNode resolved ? new Item(null, resolved.Value) : new Item(node, null);

        public static Item Of(ConfigValue value) => new(null, value);
    }
}
