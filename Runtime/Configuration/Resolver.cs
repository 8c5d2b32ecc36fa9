using System.Diagnostics;

namespace IommuSim.Runtime.Configuration;

/// <summary>
/// Resolves the substitutions of a parsed tree into <see cref="ConfigValue"/>s, following HOCON.md:
/// <list type="bullet">
/// <item>Substitutions look forward and lazily: <c>${a.b}</c> sees the final value of <c>a.b</c>, and finding
/// it resolves nothing but <c>a.b</c> itself. Lookups walk objects field by field and follow substitutions
/// and object concatenations to their definitions ("look through" them), so <c>b = ${a} { y = ${b.x} }</c>
/// and objects referring to their own fields work.</item>
/// <item>While a field whose value is a substitution or concatenation is resolved, that field is
/// "restricted": when it refers to itself it sees only what lies below it in its merge stack. That is
/// how <c>path = ${path}":/bin"</c> extends the earlier <c>path</c>, and how <c>a = ${a}</c> alone is
/// undefined instead of looping. When another field's resolution reaches a restricted field, it looks
/// forward through its definition, and only looks back when forward is a cycle.</item>
/// <item>A lookup that needs the whole value of something being resolved (<c>a = { b = ${a} }</c>), or
/// that comes back to a definition it is already following (<c>a = ${b}, b = ${a}</c>), is a cycle.</item>
/// <item>Every node is resolved once and memoized, unless its value depended on a restriction owned by an
/// enclosing resolution (then it is only valid in that context).</item>
/// </list>
/// </summary>
internal sealed partial class Resolver
{
    private const int MaxFrames = 500;

    private readonly Node _root;
    private readonly Dictionary<Node, ConfigValue?> _memo = [];
    private readonly Dictionary<Node, int> _inProgress = [];
    private readonly Dictionary<Node, int> _lookingThrough = [];
    private readonly Dictionary<Node, Restriction> _restrictions = [];
    private readonly List<Frame> _frames = [];
    private SubstitutionNode? _activeSubstitution;

    private Resolver(Node root) => _root = root;

    public static ConfigObject Resolve(Node root)
    {
        if (root is ResolvedNode { Value: ConfigObject resolved })
        {
            return resolved;
        }

        try
        {
            return new Resolver(root).ResolveIn(root, Origin.Root, null) as ConfigObject ?? ConfigObject.Empty;
        }
        catch (SubstitutionCycleException cycle)
        {
            // The subtype only exists for optional substitutions to catch; callers get the public type.
            throw new ConfigException(cycle.Position, cycle.Reason);
        }
    }

    /// <summary>The value of <paramref name="node"/>; null when it is an undefined optional substitution.</summary>
    private ConfigValue? ResolveIn(Node node, Origin origin, PathTrail? trail)
    {
        if (node is ResolvedNode resolved)
        {
            return resolved.Value;
        }

        if (_memo.TryGetValue(node, out var memoized))
        {
            return memoized;
        }

        if (_inProgress.TryGetValue(node, out int active))
        {
            throw Cycle(active, trail);
        }

        int index = Enter(node, origin, trail);
        _inProgress.Add(node, index);
        ConfigValue? value;
        Frame frame;
        try
        {
            value = node switch
            {
                ObjectNode obj => ResolveObject(obj, trail),
                ArrayNode array => ResolveArray(array, trail),
                SubstitutionNode substitution => ResolveSubstitution(substitution),
                ConcatenationNode concatenation => ResolveConcatenation(concatenation, trail),
                MergeNode stack => ResolveStack(stack, trail),
                _ => throw new UnreachableException($"unexpected node {node.GetType().Name}"),
            };
        }
        finally
        {
            _inProgress.Remove(node);
            frame = Exit(index);
        }

        if (frame.MinDependency >= index)
        {
            _memo[node] = value;
        }

        return value;
    }

    /// <summary>
    /// Pushes a frame for working on <paramref name="node"/>. A substitution or concatenation that is a field
    /// value or a merge-stack element restricts its field for the duration (see the class summary).
    /// </summary>
    private int Enter(Node node, Origin origin, PathTrail? trail)
    {
        if (_frames.Count >= MaxFrames)
        {
            throw new ConfigException(_activeSubstitution?.Position ?? node.Position, $"substitutions nest deeper than {MaxFrames} levels");
        }

        StackGuard.EnsureStack();
        int index = _frames.Count;
        bool restricts = node is SubstitutionNode or ConcatenationNode && origin.Kind is OriginKind.Field or OriginKind.StackElement;
        Node? restricted = null;
        Restriction? replaced = null;
        if (restricts)
        {
            restricted = origin.Stack ?? node;
            replaced = _restrictions.TryGetValue(restricted, out var previous) ? previous : null;
            _restrictions[restricted] = new Restriction(origin.Stack, origin.Index + 1, index);
        }

        _frames.Add(new Frame(trail, restricted, replaced));
        return index;
    }

    private Frame Exit(int index)
    {
        var frame = _frames[index];
        if (frame.Restricted is { } restricted)
        {
            if (frame.Replaced is { } previous)
            {
                _restrictions[restricted] = previous;
            }
            else
            {
                _restrictions.Remove(restricted);
            }
        }

        _frames.RemoveAt(index);
        if (index > 0)
        {
            _frames[index - 1].Depend(frame.MinDependency);
        }

        return frame;
    }

    private int NearestRestrictionOwner()
    {
        for (int i = _frames.Count - 1; i >= 0; i--)
        {
            if (_frames[i].Restricted is not null)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// A cycle detected at frame <paramref name="from"/>. The message names the loop from the earliest field
    /// on the resolution path that comes round again, which is the field whose resolution started it.
    /// </summary>
    private SubstitutionCycleException Cycle(int from, PathTrail? closing)
    {
        var links = new List<string>();
        foreach (var frame in _frames)
        {
            AddLink(links, frame.Path);
        }

        AddLink(links, closing);
        var loop = links.Skip(Math.Min(from, links.Count)).ToList();
        for (int i = 0; i < links.Count; i++)
        {
            int again = links.IndexOf(links[i], i + 1);
            if (again > i)
            {
                loop = links.GetRange(i, again - i + 1);
                break;
            }
        }

        return new SubstitutionCycleException(from, _activeSubstitution?.Position, $"substitution cycle: {string.Join(" -> ", loop)}");

        static void AddLink(List<string> links, PathTrail? path)
        {
            string? link = path?.ToString();
            if (!string.IsNullOrEmpty(link) && (links.Count == 0 || links[^1] != link))
            {
                links.Add(link);
            }
        }
    }

    private enum OriginKind
    {
        Root,
        Field,
        ArrayElement,
        Piece,
        StackElement,
    }

    /// <summary>How a node sits in its parent; decides whether working on it restricts a field.</summary>
    private readonly record struct Origin(OriginKind Kind, MergeNode? Stack = null, int Index = 0)
    {
        public static Origin Root => new(OriginKind.Root);

        public static Origin Field => new(OriginKind.Field);

        public static Origin ArrayElement => new(OriginKind.ArrayElement);

        public static Origin Piece => new(OriginKind.Piece);

        public static Origin InStack(MergeNode stack, int index) => new(OriginKind.StackElement, stack, index);
    }

    /// <summary>
    /// While active, a self-reference reaching the restricted node sees only <c>Stack.Elements[From..]</c>
    /// (nothing when Stack is null). <see cref="Owner"/> is the frame that installed it.
    /// </summary>
    private readonly record struct Restriction(MergeNode? Stack, int From, int Owner);

    private sealed class Frame(PathTrail? path, Node? restricted, Restriction? replaced)
    {
        public PathTrail? Path { get; } = path;

        /// <summary>The node this frame restricts, if any; <see cref="Replaced"/> is the restriction it displaced.</summary>
        public Node? Restricted { get; } = restricted;

        public Restriction? Replaced { get; } = replaced;

        /// <summary>The outermost frame whose restriction this frame's value depended on.</summary>
        public int MinDependency { get; private set; } = int.MaxValue;

        public void Depend(int frame) => MinDependency = Math.Min(MinDependency, frame);
    }
}
