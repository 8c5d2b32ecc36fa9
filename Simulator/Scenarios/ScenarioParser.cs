using IommuSim.Runtime.Configuration;
using IommuSim.Runtime.Deterministic;
using IommuSim.Simulator.Scenarios.Reading;
using IommuSim.Simulator.Scenarios.Steps;
using IommuSim.Simulator.Scenarios.Topology;

namespace IommuSim.Simulator.Scenarios;

/// <summary>
/// Reads a scenario file (HOCON over akka.hocon) into a <see cref="Scenario"/>:
/// <code>
/// scenario { name = NAME, description = "...", seed = 1, timeout = 60s, pct-choice-points = N }
/// machine { memory = 64MiB, units { }, devices { }, iommu-domains { }, processes { }, mirrors { } }
/// steps = [ { op = mmap, process = p0, pages = 64, name = buf }, ... ]
/// akka { ... }, iommusim { ... }   # anything of akka.hocon, overridden for this scenario
/// </code>
/// Every error is collected with its file:line:col; <see cref="Parse"/> throws a
/// <see cref="ScenarioException"/> listing them all.
/// </summary>
public static class ScenarioParser
{
    /// <summary>Top-level keys a scenario may have: its own three, and the sections of akka.hocon it may override.</summary>
    private static readonly string[] TopLevel = ["scenario", "machine", "steps", "parts", "akka", "iommusim", "sim"];

    /// <summary>What the runner sets under a scenario (the file may override it): quiet logs, the actors' warnings are the oracle's business.</summary>
    private const string RunnerDefaults = """
        akka.loglevel = WARNING
        akka.stdout-loglevel = OFF
        akka.log-dead-letters = off
        """;

    private static readonly Lazy<Config> Defaults = new(() =>
        ConfigurationFactory.ParseString(RunnerDefaults, "iommusim runner").WithFallback(ConfigurationFactory.Default()));

    /// <summary>Parses HOCON text; <paramref name="origin"/> is the name positions use.</summary>
    public static Scenario ParseText(string text, string origin, string? defaultName = null) =>
        Parse(() => ConfigurationFactory.ParseString(text, origin), origin, defaultName ?? Path.GetFileNameWithoutExtension(origin));

    public static Scenario ParseFile(string path) =>
        Parse(() => ConfigurationFactory.ParseFile(path), path, Path.GetFileNameWithoutExtension(path));

    public static Scenario Parse(Func<Config> read, string origin, string defaultName)
    {
        var diagnostics = new Diagnostics();
        Config file;
        Config config;
        try
        {
            file = read();
            _ = file.Root;
            config = file.WithFallback(Defaults.Value);
            _ = config.Root;
        }
        catch (ConfigException e)
        {
            diagnostics.Add(e);
            diagnostics.ThrowIfAny();
            throw;
        }

        foreach (var key in file.Keys)
            if (!TopLevel.Contains(key))
                diagnostics.Add(file.PositionOf(ObjectReader.Quote(key)), $"unknown top-level key '{key}'; a scenario has: {string.Join(", ", TopLevel)}");

        var root = new ObjectReader(file, "scenario", diagnostics);
        root.Allow(TopLevel);
        var header = root.Object("scenario", "scenario");
        var name = header?.String("name") ?? defaultName;
        var description = header?.String("description") ?? "";
        var seed = header?.Value("seed") is ConfigNumber n && n.TryGetInt64(out var s) && s >= 0 ? (ulong)s : 1UL;
        if (header?.Value("seed") is { } sv && !(sv is ConfigNumber m && m.TryGetInt64(out var t) && t >= 0))
            header.Error("seed", "'seed' must be a non-negative whole number");
        var timeout = header?.Duration("timeout") ?? TimeSpan.FromSeconds(60);
        var choicePoints = header?.Int("pct-choice-points", 1, 1_000_000_000);
        header?.CheckUnknownKeys();

        var symbols = new Symbols();
        var machine = MachineSpec.Read(root.Object("machine", "machine"), symbols, diagnostics, config);
        var steps = root.Has("steps") ? StepCatalogue.Default.ReadSteps(root, "steps", symbols) : [];

        DeterministicSettings dispatcher = DeterministicSettings.Default;
        try
        {
            dispatcher = DeterministicSettings.FromConfig(config.GetConfig("akka.actor.deterministic-dispatcher"));
        }
        catch (ConfigException e)
        {
            diagnostics.Add(e);
        }
        diagnostics.ThrowIfAny();
        return new Scenario(name, description, origin, config, machine, steps)
        {
            DefaultSeed = seed,
            Timeout = timeout,
            DispatcherSettings = dispatcher,
            PctChoicePoints = choicePoints,
        };
    }
}
