using System.Collections.Concurrent;
using System.Reflection;
using System.Text;

namespace IommuSim.Simulator.Scenarios.Steps;

/// <summary>
/// A stats reply (MmStats, MirrorStats, IommuDomainStats, ...) as a record of named counters for
/// expectations and bindings: every public number or boolean property, named in kebab-case
/// (ResidentPages is <c>resident-pages</c>; true is 1).
/// </summary>
public static class StatsRecord
{
    private static readonly ConcurrentDictionary<Type, (string Name, PropertyInfo Property)[]> Cache = new();

    /// <summary>The counter names of a stats type, for the expect keys its step accepts.</summary>
    public static IReadOnlyList<string> Fields(Type type) => [.. Properties(type).Select(p => p.Name)];

    public static IReadOnlyDictionary<string, ulong> From(object stats)
    {
        var result = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var (name, property) in Properties(stats.GetType()))
        {
            var v = property.GetValue(stats);
            result[name] = v switch
            {
                int i => unchecked((ulong)i),
                long l => unchecked((ulong)l),
                uint u => u,
                ulong u => u,
                bool b => b ? 1UL : 0UL,
                _ => 0,
            };
        }
        return result;
    }

    private static (string Name, PropertyInfo Property)[] Properties(Type type) => Cache.GetOrAdd(type, t =>
        [.. t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && IsCounter(Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType))
            .Select(p => (Kebab(p.Name), p))]);

    private static bool IsCounter(Type t) => t == typeof(int) || t == typeof(long) || t == typeof(uint) || t == typeof(ulong) || t == typeof(bool);

    public static string Kebab(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1])))) sb.Append('-');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}
