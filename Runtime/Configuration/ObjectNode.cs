using System.Diagnostics.CodeAnalysis;

namespace IommuSim.Runtime.Configuration;

/// <summary>An object literal; keeps its fields in first-definition order.</summary>
internal sealed class ObjectNode(ConfigPosition? position) : Node(position)
{
    private readonly List<string> _keys = [];
    private readonly Dictionary<string, Node> _fields = new(StringComparer.Ordinal);

    public override NodeShape Shape => NodeShape.Object;

    public int Count => _keys.Count;

    public IReadOnlyList<string> Keys => _keys;

    public Node this[string key] => _fields[key];

    public bool TryGet(string key, [MaybeNullWhen(false)] out Node value) => _fields.TryGetValue(key, out value);

    /// <summary>Adds or replaces a field; a replaced field keeps its place in the order.</summary>
    public void Set(string key, Node value)
    {
        if (_fields.TryAdd(key, value))
        {
            _keys.Add(key);
        }
        else
        {
            _fields[key] = value;
        }
    }

    /// <summary>
    /// Set once this object has been laid over a non-object: HOCON merges pairwise, so the non-object it
    /// replaced still hides anything further down, and this object must not merge with it (HOCON.md).
    /// </summary>
    public bool IgnoresFallbacks { get; private set; }

    public void MoveTo(ConfigPosition? position) => Position = position;

    public void IgnoreFallbacks() => IgnoresFallbacks = true;

    /// <summary>A new object node with the same fields (the field values are shared).</summary>
    public static ObjectNode CopyOf(Node objectLike)
    {
        switch (objectLike)
        {
            case ObjectNode source:
                var copy = new ObjectNode(source.Position) { IgnoresFallbacks = source.IgnoresFallbacks };
                foreach (string key in source._keys)
                {
                    copy.Set(key, source._fields[key]);
                }

                return copy;
            case ResolvedNode { Value: ConfigObject resolved }:
                var wrapper = new ObjectNode(resolved.Position) { IgnoresFallbacks = resolved.IgnoresFallbacks };
                foreach (var (key, value) in resolved)
                {
                    wrapper.Set(key, new ResolvedNode(value));
                }

                return wrapper;
            default:
                throw new ArgumentException("not an object node", nameof(objectLike));
        }
    }
}
