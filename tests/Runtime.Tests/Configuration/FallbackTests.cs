using IommuSim.Runtime.Configuration;
using Xunit;
using static IommuSim.Runtime.Tests.Configuration.Hocon;

namespace IommuSim.Runtime.Tests.Configuration;

/// <summary>WithFallback, Default and Load (HOCON.md "Config object merging and file merging").</summary>
public class FallbackTests
{
    [Fact]
    public void ScenarioOverridesDefaultsAndKeepsTheRest()
    {
        var defaults = ConfigurationFactory.ParseString("sim { ticks = 10, seed = 1, iommu { levels = 4, cache = 64 } }", "defaults.conf");
        var scenario = ConfigurationFactory.ParseString("sim { seed = 7, iommu.cache = 128 }\nextra = x", "scenario.conf");

        var merged = scenario.WithFallback(defaults);
        Assert.Equal(10, merged.GetInt("sim.ticks"));
        Assert.Equal(7, merged.GetInt("sim.seed"));
        Assert.Equal(4, merged.GetInt("sim.iommu.levels"));
        Assert.Equal(128, merged.GetInt("sim.iommu.cache"));
        Assert.Equal("x", merged.GetString("extra"));
        Assert.Equal(new ConfigPosition("scenario.conf", 1, 14), merged.PositionOf("sim.seed"));
        Assert.Equal(new ConfigPosition("defaults.conf", 1, 15), merged.PositionOf("sim.ticks"));
        Assert.Equal(["sim", "extra"], merged.Keys);
    }

    [Fact]
    public void MergedKeysListThePrimaryConfigFirst()
    {
        var defaults = Parse("d1 = 1\nshared = 1\nd2 = 1\nobj { d = 1, s = 1 }");
        var scenario = Parse("obj { s = 2, n = 2 }\ns1 = 2\nshared = 2");
        var merged = scenario.WithFallback(defaults);
        Assert.Equal(["obj", "s1", "shared", "d1", "d2"], merged.Keys);
        Assert.Equal(["s", "n", "d"], merged.GetConfig("obj").Keys);
    }

    [Fact]
    public void OriginalsAreUnchanged()
    {
        var defaults = Parse("a { x = 1 }");
        var scenario = Parse("a { y = 2 }");
        _ = scenario.WithFallback(defaults).Root;
        Assert.Equal("{a:{x:1}}", Json(defaults));
        Assert.Equal("{a:{y:2}}", Json(scenario));
    }

    [Fact]
    public void ANonObjectHidesObjectsFurtherDown()
    {
        var first = Parse("a : { x : 1 }");
        var second = Parse("a : 42");
        var third = Parse("a : { y : 2 }");
        Assert.Equal("{a:{x:1}}", Json(first.WithFallback(second).WithFallback(third)));
        Assert.Equal("{a:{x:1,y:2}}", Json(first.WithFallback(third).WithFallback(second)));
    }

    [Fact]
    public void AnObjectThatReplacedANonObjectKeepsHidingFallbacks()
    {
        // Within one file this is the "null clears an object" idiom; across configs the same rule applies.
        var cleared = Parse("foo { a = 42 }\nfoo = null\nfoo { b = 43 }");
        Assert.Equal("{foo:{b:43}}", Json(cleared));
        Assert.Equal("{foo:{b:43}}", Json(cleared.WithFallback(Parse("foo { c = 44 }"))));
        Assert.Equal("{foo:{c:44,b:43}}", Json(Parse("foo { c = 44 }").WithFallback(cleared)));

        // The same when the later object comes through a substitution.
        var viaSubstitution = Parse("o { b = 43 }\nfoo = null\nfoo = ${o}");
        Assert.Equal("{o:{b:43},foo:{b:43}}", Json(viaSubstitution.WithFallback(Parse("foo { c = 44 }"))));
    }

    [Fact]
    public void ThreeLevelChain()
    {
        var defaults = Parse("level = default\nd = 1\nshared { from = default, d = 1 }");
        var site = Parse("level = site\ns = 2\nshared { from = site, s = 2 }");
        var run = Parse("level = run\nr = 3\nshared { from = run }");
        var config = run.WithFallback(site).WithFallback(defaults);
        Assert.Equal("run", config.GetString("level"));
        Assert.Equal((1, 2, 3), (config.GetInt("d"), config.GetInt("s"), config.GetInt("r")));
        Assert.Equal("{from:\"run\",s:2,d:1}", Json(config.GetValue("shared")!));

        // Associativity: grouping the fallbacks differently gives the same result.
        Assert.Equal(Json(config), Json(run.WithFallback(site.WithFallback(defaults))));
    }

    [Fact]
    public void SubstitutionsResolveAgainstTheMergedRoot()
    {
        var defaults = Parse("timeout = 5s\nask-timeout = ${timeout}\npath = [a]");
        var scenario = Parse("timeout = 10s\nretry = ${ask-timeout}\npath = ${path} [b]");
        var config = scenario.WithFallback(defaults);
        Assert.Equal(TimeSpan.FromSeconds(10), config.GetTimeSpan("ask-timeout"));
        Assert.Equal(TimeSpan.FromSeconds(10), config.GetTimeSpan("retry"));
        Assert.Equal(["a", "b"], config.GetStringList("path"));

        // Alone, the scenario cannot resolve what it borrows from the defaults.
        Assert.Equal("test.conf:2:9: could not resolve substitution ${ask-timeout}",
            Assert.Throws<ConfigException>(() => scenario.GetString("retry")).Message);
    }

    [Fact]
    public void EmptyAndSelfFallbacks()
    {
        var config = Parse("a = 1");
        Assert.Same(config, config.WithFallback(Config.Empty));
        Assert.Same(config, Config.Empty.WithFallback(config));
        Assert.Same(config, config.WithFallback(config));
    }

    [Fact]
    public void SubConfigsMergeToo()
    {
        var config = Parse("a { x = 1, y = ${b} }\nb = 2");
        var sub = config.GetConfig("a");
        var merged = Parse("x = 10").WithFallback(sub);
        Assert.Equal("{x:10,y:2}", Json(merged));
    }

    [Fact]
    public void DefaultIsTheEmbeddedAkkaHoconParsedOnce()
    {
        var defaults = ConfigurationFactory.Default();
        Assert.Same(defaults, ConfigurationFactory.Default());
        Assert.Contains("akka", defaults.Keys);
        Assert.Same(defaults, ConfigurationFactory.Load(null));

        string expected = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "akka.hocon"));
        Assert.Equal(Json(ConfigurationFactory.ParseString(expected)), Json(defaults));
    }

    [Fact]
    public void DefaultIsSafeToRequestConcurrently()
    {
        var seen = new Config[16];
        Parallel.For(0, seen.Length, i => seen[i] = ConfigurationFactory.Default());
        Assert.All(seen, config => Assert.Same(seen[0], config));
    }

    [Fact]
    public void LoadPutsTheFileOverTheDefaults()
    {
        using var dir = new TempDirectory();
        string path = dir.Write("scenario.hocon", "scenario { name = test }\nakka { extra-setting = 1 }");
        var config = ConfigurationFactory.Load(path);
        Assert.Equal("test", config.GetString("scenario.name"));
        Assert.Equal(1, config.GetInt("akka.extra-setting"));
        foreach (string key in ConfigurationFactory.Default().Keys)
        {
            Assert.True(config.Root.ContainsKey(key));
        }
    }

    [Fact]
    public void FromResourceReadsAnEmbeddedResource()
    {
        var assembly = typeof(ConfigurationFactory).Assembly;
        var config = ConfigurationFactory.FromResource(assembly, "akka.hocon", "defaults");
        Assert.Equal(Json(ConfigurationFactory.Default()), Json(config));
        Assert.Equal("resource 'nope.hocon' not found in assembly IommuSim.Runtime",
            Assert.Throws<ConfigException>(() => ConfigurationFactory.FromResource(assembly, "nope.hocon", "x")).Message);
    }

    [Fact]
    public void ParseFileErrors()
    {
        using var dir = new TempDirectory();
        string missing = Path.Combine(dir.Path, "missing.hocon");
        Assert.Equal($"configuration file '{missing}' not found",
            Assert.Throws<ConfigException>(() => ConfigurationFactory.ParseFile(missing)).Message);
        Assert.StartsWith($"cannot read configuration file '{dir.Path}':",
            Assert.Throws<ConfigException>(() => ConfigurationFactory.ParseFile(dir.Path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseFileNamesPositionsAfterThePathGiven()
    {
        using var dir = new TempDirectory();
        string path = dir.Write("scenario.hocon", "a {\n  foo\n}");
        var error = Assert.Throws<HoconParseException>(() => ConfigurationFactory.ParseFile(path));
        Assert.Equal($"{path}:2:6: expected '=' or ':' or '{{' after key 'foo', found newline", error.Message);

        string sameLine = dir.Write("same-line.hocon", "a {\n  b = 1\n  foo }");
        error = Assert.Throws<HoconParseException>(() => ConfigurationFactory.ParseFile(sameLine));
        Assert.Equal($"{sameLine}:3:7: expected '=' or ':' or '{{' after key 'foo', found '}}'", error.Message);
    }
}
