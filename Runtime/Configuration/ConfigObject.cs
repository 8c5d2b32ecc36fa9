using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace IommuSim.Runtime.Configuration;

/// <summary>A resolved object; enumerates its fields in the order they were first defined.</summary>
public sealed class ConfigObject : ConfigValue, IReadOnlyDictionary<string, ConfigValue>
{
    private readonly string[] _keys;
    private readonly Dictionary<string, ConfigValue> _fields;

    /// <param name="keys">Field names in order; exactly the keys of <paramref name="fields"/>.</param>
    internal ConfigObject(string[] keys, Dictionary<string, ConfigValue> fields, ConfigPosition? position, bool ignoresFallbacks = false)
        : base(position)
    {
        _keys = keys;
        _fields = fields;
        IgnoresFallbacks = ignoresFallbacks;
    }

    /// <summary>This object replaced a non-object, so it must not merge with anything below that (see <see cref="ObjectNode.IgnoresFallbacks"/>).</summary>
    internal bool IgnoresFallbacks { get; }

    internal ConfigObject IgnoringFallbacks() => IgnoresFallbacks ? this : new ConfigObject(_keys, _fields, Position, ignoresFallbacks: true);

    internal static ConfigObject Empty { get; } = new([], new Dictionary<string, ConfigValue>(StringComparer.Ordinal), null);

    /// <summary>Field names in definition order.</summary>
    public IReadOnlyList<string> Keys => _keys;

    IEnumerable<string> IReadOnlyDictionary<string, ConfigValue>.Keys => _keys;

    public IEnumerable<ConfigValue> Values => _keys.Select(key => _fields[key]);

    public int Count => _keys.Length;

    public override ConfigValueType ValueType => ConfigValueType.Object;

    public ConfigValue this[string key] => _fields[key];

    public bool ContainsKey(string key) => _fields.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out ConfigValue value) => _fields.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, ConfigValue>> GetEnumerator()
    {
        foreach (string key in _keys)
        {
            yield return new KeyValuePair<string, ConfigValue>(key, _fields[key]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal override string Describe() => "object";
}
