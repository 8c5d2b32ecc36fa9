using IommuSim.Runtime.Configuration;
using Xunit;

namespace IommuSim.Runtime.Tests.Configuration;

/// <summary>
/// Bad input may only ever produce a <see cref="ConfigException"/> (or success): never an
/// IndexOutOfRangeException, NullReferenceException or the like. Deterministic (fixed seed).
/// </summary>
public class FuzzTests
{
    private const string Document = """"
        # defaults
        sim {
          name = "iommu \"sim\"\t1 \u00e9"
          ticks = 1000, seed = -42
          rate = 1.5e3
          tags = [a, "b", 3, true, null]
          timeout = 10ms
          size = 4KiB
          nested.deep.value = ${sim.ticks}
          path = [/bin]
          path = ${sim.path} [/usr/bin]
          path += /opt
          opt = ${?IOMMUSIM_FUZZ_UNSET}
          multi = """line
        two"""
          obj = { x = 1 } { y = 2 }
          self = ${sim.name}-copy
        }
        other : ${sim.obj} { z = 3 }
        list = [ { a = 1 }, { b = ${other.z} } ]
        "quoted.key" = 1 // comment
        a.b.c : true
        include "iommusim-fuzz-missing.conf"
        """";

    private static readonly string[] Snippets =
    [
        "{", "}", "[", "]", "\"", "\"\"\"", "${", "${?", ":", "=", "+=", ",", "\n", " ", "#", "//", "\\", "\\u",
        "include ", "required(", ")", "$", "?", "!", ".", "..", "-", "1e999", "null", "true", "\t", "\u0001",
        "${sim}", "${other}", "${list}", "${a.b}", "a = ${a}", "\u00a0", "\r", "0.", "9223372036854775808", "-",
    ];

    [Fact]
    public void TheUnmutatedDocumentIsValid()
    {
        var config = Exercise(Document);
        Assert.NotNull(config);
        Assert.Equal(["/bin", "/usr/bin", "/opt"], config.GetStringList("sim.path"));
        Assert.Equal(3, config.GetConfigList("list")[1].GetInt("b"));
    }

    [Fact]
    public void EveryTruncationFailsCleanlyOrParses()
    {
        var failures = new List<string>();
        for (int length = 0; length <= Document.Length; length++)
        {
            Check(Document[..length], failures);
        }

        Assert.Empty(failures);
    }

    [Fact]
    public void RandomMutationsFailCleanlyOrParse()
    {
        var random = new Random(20240601);
        var failures = new List<string>();
        int parsed = 0;
        for (int i = 0; i < 600; i++)
        {
            string variant = Document;
            int operations = random.Next(1, 4);
            for (int op = 0; op < operations; op++)
            {
                variant = Mutate(variant, random);
            }

            if (Check(variant, failures))
            {
                parsed++;
            }
        }

        Assert.Empty(failures);

        // Sanity: the mutations are not so destructive that nothing ever gets past the parser.
        Assert.InRange(parsed, 30, 570);
    }

    [Fact]
    public void RandomTokenSoupFailsCleanlyOrParses()
    {
        var random = new Random(7);
        var failures = new List<string>();
        for (int i = 0; i < 300; i++)
        {
            var text = new System.Text.StringBuilder();
            int count = random.Next(1, 25);
            for (int j = 0; j < count; j++)
            {
                text.Append(random.Next(3) == 0 ? "k" + random.Next(4) : Snippets[random.Next(Snippets.Length)]);
            }

            Check(text.ToString(), failures);
        }

        Assert.Empty(failures);
    }

    private static string Mutate(string text, Random random)
    {
        int position = random.Next(text.Length + 1);
        switch (random.Next(4))
        {
            case 0:
                int length = Math.Min(random.Next(1, 6), text.Length - position);
                return text.Remove(position, length);
            case 1:
                return text.Insert(position, Snippets[random.Next(Snippets.Length)]);
            case 2:
                int start = random.Next(text.Length);
                int sliceLength = Math.Min(random.Next(1, 20), text.Length - start);
                return text.Insert(position, text.Substring(start, sliceLength));
            default:
                return position < text.Length ? text.Remove(position, 1).Insert(position, ((char)random.Next(32, 127)).ToString()) : text;
        }
    }

    /// <summary>Records anything other than success or a ConfigException; returns true when the text parsed and resolved.</summary>
    private static bool Check(string text, List<string> failures)
    {
        try
        {
            return Exercise(text) is not null;
        }
        catch (Exception e)
        {
            failures.Add($"{e.GetType().Name}: {e.Message}\n--- input ---\n{text}\n---");
            return false;
        }
    }

    /// <summary>Parses, resolves and reads everything; returns null when a ConfigException was thrown.</summary>
    private static Config? Exercise(string text)
    {
        try
        {
            var config = ConfigurationFactory.ParseString(text, "fuzz.conf");
            _ = config.Render();
            foreach (string key in config.Keys)
            {
                _ = config.PositionOf(ConfigPath(key));
            }

            ReadLeniently(() => config.GetInt("sim.ticks"));
            ReadLeniently(() => config.GetTimeSpan("sim.timeout"));
            ReadLeniently(() => config.GetByteSize("sim.size"));
            ReadLeniently(() => config.GetStringList("sim.tags"));
            ReadLeniently(() => config.GetConfigList("list"));
            ReadLeniently(() => config.GetString("sim.self", "x"));
            ReadLeniently(() => config.GetDouble("sim.rate"));
            ReadLeniently(() => config.GetBoolean("a.b.c", false));
            _ = config.WithFallback(ConfigurationFactory.ParseString("sim { ticks = 1 }\nlist = []")).Render();
            return config;
        }
        catch (ConfigException)
        {
            return null;
        }
    }

    private static void ReadLeniently(Func<object> read)
    {
        try
        {
            _ = read();
        }
        catch (ConfigException)
        {
            // Wrong types are expected after mutation; anything else propagates.
        }
    }

    private static string ConfigPath(string key) => "\"" + key.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
