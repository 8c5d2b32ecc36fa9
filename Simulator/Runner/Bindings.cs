using IommuSim.Simulator.Scenarios.Expressions;

namespace IommuSim.Simulator.Runner;

/// <summary>
/// The names steps bound in one scope of a run: the top level, or one branch of a parallel block
/// or workload operation. A branch sees its parent's names and binds its own; when a parallel
/// block ends its branches' names join the parent (as the file's checks assume), a workload
/// operation's are dropped. Values: a number, a record of counters, a list of values.
/// </summary>
/// <remarks>Branches run concurrently on the thread pool, so each scope guards its map with a lock held for one lookup or store.</remarks>
public sealed class Bindings(Bindings? parent = null)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, object> _values = new(StringComparer.Ordinal);

    public Bindings Branch() => new(this);

    public void Set(string name, object value)
    {
        lock (_lock) _values[name] = value;
    }

    public object? Get(string name)
    {
        lock (_lock)
            if (_values.TryGetValue(name, out var v)) return v;
        return parent?.Get(name);
    }

    /// <summary>Copies this branch's own names into its parent.</summary>
    public void MergeIntoParent()
    {
        if (parent is null) return;
        KeyValuePair<string, object>[] own;
        lock (_lock) own = [.. _values];
        foreach (var (k, v) in own) parent.Set(k, v);
    }

    public ulong Lookup(string name, string? field) => (Get(name), field) switch
    {
        (null, _) => throw new ScenarioRuntimeException($"'{name}' is not bound in this run (the step that names it failed or has not run)"),
        (ulong n, null) => n,
        (IReadOnlyDictionary<string, ulong> record, { } f) => record.TryGetValue(f, out var x) ? x
            : throw new ScenarioRuntimeException($"'{name}' has no field '{f}'"),
        (var v, _) => throw new ScenarioRuntimeException($"'{name}' holds {Describe(v)}, not what {(field is null ? name : $"{name}.{field}")} needs"),
    };

    public ulong Index(string name, ulong index)
    {
        if (Get(name) is not IReadOnlyList<ulong> list) throw new ScenarioRuntimeException($"'{name}' is not a list bound in this run");
        return index < (ulong)list.Count ? list[(int)index] : throw new ScenarioRuntimeException($"{name}[{index}] is past its {list.Count} values");
    }

    /// <summary>The list bound to <paramref name="name"/>, or null.</summary>
    public IReadOnlyList<ulong>? List(string name) => Get(name) as IReadOnlyList<ulong>;

    private static string Describe(object v) => v switch
    {
        ulong => "a number",
        IReadOnlyDictionary<string, ulong> => "a record",
        IReadOnlyList<ulong> => "a list",
        _ => v.GetType().Name,
    };
}
