using System.Diagnostics;

namespace IommuSim.Runtime.Configuration;

/// <summary>
/// Resolves the substitutions of a parsed tree into <see cref="ConfigValue"/>s, following HOCON.md:
/// <list type="bullet">
/// <item>Substitutions look forward: <c>${a.b}</c> sees the final value of <c>a.b</c>. Lookups walk object
/// nodes without resolving them, so an object may refer to its own fields.</item>
/// <item>While a field whose value is a substitution or concatenation is resolved, that field is
/// "restricted": lookups reaching it see only what lies below it in its merge stack. That is how
/// <c>path = ${path}":/bin"</c> sees the earlier <c>path</c>, and how <c>a = ${a}</c> alone becomes
/// undefined instead of looping.</item>
/// <item>Reaching a restricted field from another field (<c>a = ${b}, b = ${a}</c>) with nothing below it,
/// or reaching an object that is being resolved (<c>a = { b = ${a} }</c>), is a cycle.</item>
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

        if (_frames.Count >= MaxFrames)
        {
            throw new ConfigException(_activeSubstitution?.Position ?? node.Position, $"substitutions nest deeper than {MaxFrames} levels");
        }

        StackGuard.EnsureStack();
        bool selfReferential = node is SubstitutionNode or ConcatenationNode
            && origin.Kind is OriginKind.Field or OriginKind.StackElement;
        int index = _frames.Count;
        var frame = new Frame(trail, selfReferential);
        _frames.Add(frame);
        _inProgress.Add(node, index);

        Node? restricted = null;
        Restriction previous = default;
        bool hadPrevious = false;
        if (selfReferential)
        {
            restricted = origin.Stack ?? node;
            hadPrevious = _restrictions.TryGetValue(restricted, out previous);
            _restrictions[restricted] = new Restriction(origin.Stack, origin.Index + 1, index);
        }

        ConfigValue? value;
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
            if (restricted is not null)
            {
                if (hadPrevious)
                {
                    _restrictions[restricted] = previous;
                }
                else
                {
                    _restrictions.Remove(restricted);
                }
            }

            _inProgress.Remove(node);
            _frames.RemoveAt(index);
        }

        if (frame.MinDependency >= index)
        {
            _memo[node] = value;
        }

        if (index > 0)
        {
            _frames[index - 1].Depend(frame.MinDependency);
        }

        return value;
    }

    private ConfigValue? ResolveSubstitution(SubstitutionNode substitution)
    {
        var saved = _activeSubstitution;
        _activeSubstitution = substitution;
        try
        {
            ConfigValue? value;
            try
            {
                value = LookupValue(substitution);
            }
            catch (SubstitutionCycleException cycle) when (substitution.Optional)
            {
                // HOCON.md: an optional substitution treats a cycle like a missing value.
                _frames[^1].Depend(cycle.Frame);
                value = null;
            }

            // Only a path absent from the configuration falls back to the environment; an explicit null blocks it.
            if (value is null && Environment.GetEnvironmentVariable(string.Join('.', substitution.Path)) is { } variable)
            {
                value = new ConfigString(variable, isQuoted: true, substitution.Position);
            }

            if (value is null && !substitution.Optional)
            {
                throw new ConfigException(substitution.Position, $"could not resolve substitution {substitution.Text}");
            }

            return value;
        }
        finally
        {
            _activeSubstitution = saved;
        }
    }

    private ConfigValue? LookupValue(SubstitutionNode substitution)
    {
        // HOCON.md: in an included file, look relative to the include point first, then from the root.
        if (substitution.Prefix.Length > 0 && ResolveView([.. substitution.Prefix, .. substitution.Path]) is { } relative)
        {
            return relative;
        }

        return ResolveView(substitution.Path);
    }

    /// <summary>The final value at <paramref name="path"/>: everything the lookup found, merged top over bottom.</summary>
    private ConfigValue? ResolveView(string[] path)
    {
        var view = Lookup(path, out var trail);
        if (view is null)
        {
            return null;
        }

        ConfigValue? result = null;
        for (int i = view.Count - 1; i >= 0; i--)
        {
            var value = view[i].Value ?? ResolveIn(view[i].Node!, Origin.Field, trail);
            if (value is not null)
            {
                result = result is null ? value : MergeValues(value, result);
            }
        }

        return result;
    }

    private SubstitutionCycleException Cycle(int from, PathTrail? closing)
    {
        var chain = new List<string>();
        for (int i = from; i < _frames.Count; i++)
        {
            AddLink(chain, _frames[i].Path);
        }

        AddLink(chain, closing);
        return new SubstitutionCycleException(from, _activeSubstitution?.Position, $"substitution cycle: {string.Join(" -> ", chain)}");

        static void AddLink(List<string> chain, PathTrail? path)
        {
            string? link = path?.ToString();
            if (!string.IsNullOrEmpty(link) && (chain.Count == 0 || chain[^1] != link))
            {
                chain.Add(link);
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

    /// <summary>How a node sits in its parent; decides whether resolving it restricts a field.</summary>
    private readonly record struct Origin(OriginKind Kind, MergeNode? Stack = null, int Index = 0)
    {
        public static Origin Root => new(OriginKind.Root);

        public static Origin Field => new(OriginKind.Field);

        public static Origin ArrayElement => new(OriginKind.ArrayElement);

        public static Origin Piece => new(OriginKind.Piece);

        public static Origin InStack(MergeNode stack, int index) => new(OriginKind.StackElement, stack, index);
    }

    /// <summary>While active, lookups reaching the restricted node see only <c>Stack.Elements[From..]</c> (nothing when Stack is null).</summary>
    private readonly record struct Restriction(MergeNode? Stack, int From, int Owner);

    private sealed class Frame(PathTrail? path, bool ownsRestriction)
    {
        public PathTrail? Path { get; } = path;

        public bool OwnsRestriction { get; } = ownsRestriction;

        /// <summary>The outermost frame whose restriction this frame's value depended on.</summary>
        public int MinDependency { get; private set; } = int.MaxValue;

        public void Depend(int frame) => MinDependency = Math.Min(MinDependency, frame);
    }
}
