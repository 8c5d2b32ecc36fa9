using IommuSim.Runtime.Configuration;

namespace IommuSim.Simulator.Scenarios;

/// <summary>What a name bound by a step holds: a number (an address), a record of counters, or a list of values.</summary>
public sealed record ValueShape(string Kind, IReadOnlySet<string>? Fields = null)
{
    public static readonly ValueShape Number = new("number");
    public static readonly ValueShape List = new("list");

    public static ValueShape Record(IEnumerable<string> fields) => new("record", new HashSet<string>(fields, StringComparer.Ordinal));
}

/// <summary>
/// The names a scenario has declared so far while it is read, in step order: the machine's
/// entities by kind (processes, mirrors, devices, ...) and the values steps bound. A parallel
/// block reads each branch in a <see cref="Branch"/> (a branch does not see its siblings' names,
/// which may not exist yet when it runs) and merges them all afterwards.
/// </summary>
public sealed class Symbols
{
    private readonly Symbols? _parent;
    private readonly Dictionary<string, Dictionary<string, ConfigPosition?>> _entities = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ValueShape> _values = new(StringComparer.Ordinal);

    public Symbols()
    {
    }

    private Symbols(Symbols parent) => _parent = parent;

    public Symbols Branch() => new(this);

    /// <summary>Declares an entity; false (and nothing changes) if one of that kind and name exists.</summary>
    public bool Declare(string kind, string name, ConfigPosition? position)
    {
        if (Has(kind, name)) return false;
        if (!_entities.TryGetValue(kind, out var names)) _entities[kind] = names = new(StringComparer.Ordinal);
        names[name] = position;
        return true;
    }

    public bool Has(string kind, string name) =>
        (_entities.TryGetValue(kind, out var names) && names.ContainsKey(name)) || (_parent?.Has(kind, name) ?? false);

    /// <summary>Every declared name of a kind, sorted (for "expected one of" messages).</summary>
    public IReadOnlyList<string> Names(string kind)
    {
        var all = new SortedSet<string>(StringComparer.Ordinal);
        for (var s = this; s != null; s = s._parent)
            if (s._entities.TryGetValue(kind, out var names)) all.UnionWith(names.Keys);
        return [.. all];
    }

    public void Bind(string name, ValueShape shape) => _values[name] = shape;

    public ValueShape? Value(string name) => _values.TryGetValue(name, out var v) ? v : _parent?.Value(name);

    public IReadOnlyList<string> ValueNames()
    {
        var all = new SortedSet<string>(StringComparer.Ordinal);
        for (var s = this; s != null; s = s._parent) all.UnionWith(s._values.Keys);
        return [.. all];
    }

    /// <summary>
    /// Adds what a branch declared to this scope (after a parallel block, every branch has run).
    /// Returns the entities another branch had already declared: two branches creating one name.
    /// </summary>
    public IReadOnlyList<(string Kind, string Name, ConfigPosition? Position)> MergeFrom(Symbols branch)
    {
        var clashes = new List<(string, string, ConfigPosition?)>();
        foreach (var (kind, names) in branch._entities)
            foreach (var (name, pos) in names)
                if (!Declare(kind, name, pos)) clashes.Add((kind, name, pos));
        foreach (var (name, shape) in branch._values) _values[name] = shape;
        return clashes;
    }

    /// <summary>"unknown process 'p9' (declared: p0, p1)".</summary>
    public string Unknown(string kind, string name)
    {
        var known = Names(kind);
        return known.Count == 0
            ? $"unknown {kind} '{name}' (the machine declares no {kind})"
            : $"unknown {kind} '{name}' (declared: {string.Join(", ", known)})";
    }
}
