using System.Collections.Concurrent;
using System.Reflection;
using IommuSim.Runtime.Configuration;

namespace IommuSim.Simulator.Scenarios;

/// <summary>
/// The built-in scenarios (the repository's <c>scenarios/*.hocon</c>, embedded in this assembly so
/// that the command works from any directory) and scenario files, found by name or path.
/// </summary>
public static class ScenarioLibrary
{
    private const string Prefix = "scenarios/";
    private const string Suffix = ".hocon";

    private static readonly Assembly Assembly = typeof(ScenarioLibrary).Assembly;

    // Parsed built-ins, shared: a Scenario is immutable.
    private static readonly ConcurrentDictionary<string, Lazy<Scenario>> Parsed = new(StringComparer.Ordinal);

    /// <summary>The names of the built-in scenarios, sorted.</summary>
    public static IReadOnlyList<string> BuiltInNames { get; } = [.. Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(Suffix, StringComparison.Ordinal))
        .Select(n => n[Prefix.Length..^Suffix.Length])
        .Order(StringComparer.Ordinal)];

    public static bool IsBuiltIn(string name) => BuiltInNames.Contains(name);

    public static Scenario BuiltIn(string name)
    {
        if (!IsBuiltIn(name)) throw new ScenarioException($"no built-in scenario '{name}' (built-ins: {string.Join(", ", BuiltInNames)})");
        return Parsed.GetOrAdd(name, n => new Lazy<Scenario>(() =>
            ScenarioParser.Parse(() => ConfigurationFactory.FromResource(Assembly, Prefix + n + Suffix, Prefix + n + Suffix), Prefix + n + Suffix, n))).Value;
    }

    /// <summary>The text of a built-in scenario file.</summary>
    public static string BuiltInText(string name)
    {
        using var stream = Assembly.GetManifestResourceStream(Prefix + name + Suffix) ?? throw new ScenarioException($"no built-in scenario '{name}'");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>A built-in by name, else a file by path; a missing file names the built-ins.</summary>
    public static Scenario Load(string nameOrPath)
    {
        if (IsBuiltIn(nameOrPath)) return BuiltIn(nameOrPath);
        if (File.Exists(nameOrPath)) return ScenarioParser.ParseFile(nameOrPath);
        throw new ScenarioException($"'{nameOrPath}' is neither a built-in scenario ({string.Join(", ", BuiltInNames)}) nor a file");
    }
}
