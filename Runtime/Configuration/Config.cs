namespace IommuSim.Runtime.Configuration;

/// <summary>
/// An immutable configuration: a root object read with typed getters. Substitutions are resolved lazily,
/// on first read, against the whole configuration including fallbacks, so a scenario file may refer to
/// values it only gets from <see cref="ConfigurationFactory.Default"/>. Resolution errors (unresolved
/// substitution, cycle) therefore surface from the first getter call. Safe to share between threads.
/// </summary>
public sealed partial class Config
{
    private readonly Node _raw;
    private readonly Lazy<ConfigObject> _root;

    // For a config taken from inside another (GetConfig, GetConfigList): its path there, so that messages
    // name keys in full ('akka.actor.ask-timeout', not 'ask-timeout').
    private readonly string? _pathInParent;

    internal Config(Node raw)
    {
        _raw = raw;

        // ExecutionAndPublication: resolution runs once even under concurrent first reads, and every
        // reader (including one that sees a resolution error) observes the same outcome.
        _root = new Lazy<ConfigObject>(() => Resolver.Resolve(raw), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    private Config(ConfigObject resolved, string? pathInParent)
    {
        _raw = new ResolvedNode(resolved);
        _root = new Lazy<ConfigObject>(resolved);
        _pathInParent = pathInParent;
    }

    public static Config Empty { get; } = new(ConfigObject.Empty, null);

    /// <summary>The resolved root object.</summary>
    public ConfigObject Root => _root.Value;

    public bool IsEmpty => Root.Count == 0;

    /// <summary>Keys of the root object in the order they were first defined (for a merged config, see <see cref="WithFallback"/>).</summary>
    public IEnumerable<string> Keys => Root.Keys;

    /// <summary>True when the path exists and is not <c>null</c>.</summary>
    public bool HasPath(string path) => Find(path, strict: false) is { } value && value is not ConfigNull;

    /// <summary>The value at <paramref name="path"/>, or null when it is missing.</summary>
    public ConfigValue? GetValue(string path) => Find(path, strict: false);

    /// <summary>Where the value at <paramref name="path"/> was written, for error messages about it.</summary>
    public ConfigPosition? PositionOf(string path) => GetValue(path)?.Position;

    /// <summary>
    /// The object at <paramref name="path"/> as a config; <see cref="Empty"/> when the path is missing or null.
    /// </summary>
    public Config GetConfig(string path)
    {
        var value = Find(path, strict: true);
        return value switch
        {
            null or ConfigNull => Empty,
            ConfigObject obj => new Config(obj, FullPath(path)),
            _ => throw WrongType(FullPath(path), value, "an object"),
        };
    }

    /// <summary>
    /// This configuration layered over <paramref name="fallback"/>: objects merge recursively, anything
    /// else in this config replaces the fallback's value. Substitutions in both are resolved against the
    /// merged result. Keys list this config's keys first, in its order, then keys only the fallback has.
    /// </summary>
    public Config WithFallback(Config fallback)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        if (ReferenceEquals(fallback, this) || ReferenceEquals(fallback, Empty))
        {
            return this;
        }

        if (ReferenceEquals(this, Empty))
        {
            return fallback;
        }

        return new Config(NodeMerger.Merge(fallback._raw, _raw, MergeMode.Fallback));
    }

    /// <summary>HOCON text of the whole configuration (resolved), for --help and debug output.</summary>
    public string Render() => ConfigRenderer.RenderRoot(Root);

    public override string ToString() => Render();

    /// <summary>
    /// Walks the resolved tree. A missing key gives null; a non-object on the way is a type error in strict
    /// mode (the caller wanted a value there) and simply "missing" otherwise.
    /// </summary>
    private ConfigValue? Find(string path, bool strict)
    {
        string[] elements = ConfigPath.Parse(path);
        ConfigValue current = Root;
        for (int i = 0; i < elements.Length; i++)
        {
            if (current is not ConfigObject obj)
            {
                if (!strict)
                {
                    return null;
                }

                string prefix = FullPath(ConfigPath.Render(elements.Take(i)));
                throw new ConfigException(current.Position,
                    $"'{prefix}' has type {current.Describe()}, expected an object (looking up '{FullPath(path)}')");
            }

            if (!obj.TryGetValue(elements[i], out var next))
            {
                return null;
            }

            current = next;
        }

        return current;
    }

    /// <summary>The value at a path that must exist: missing or null is an error.</summary>
    private ConfigValue Require(string path, string expected)
    {
        var value = Find(path, strict: true) ?? throw Missing(FullPath(path));
        return value is ConfigNull ? throw WrongType(FullPath(path), value, expected) : value;
    }

    /// <summary>How messages name <paramref name="path"/>: including where this config sits in its parent.</summary>
    private string FullPath(string path) => _pathInParent is null ? path : $"{_pathInParent}.{path}";

    /// <summary>The value at a path, or null when missing or null (the caller then uses its default).</summary>
    private ConfigValue? Optional(string path) => Find(path, strict: true) is { } value and not ConfigNull ? value : null;

    private static ConfigException Missing(string path) => new($"No configuration setting found for key '{path}'");

    private static ConfigException WrongType(string path, ConfigValue value, string expected) =>
        new(value.Position, $"'{path}' has type {value.Describe()}, expected {expected}");
}
