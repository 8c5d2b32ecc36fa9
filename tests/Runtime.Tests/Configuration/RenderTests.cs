using IommuSim.Runtime.Configuration;
using Xunit;
using static IommuSim.Runtime.Tests.Configuration.Hocon;

namespace IommuSim.Runtime.Tests.Configuration;

public class RenderTests
{
    [Fact]
    public void RendersReadableHocon()
    {
        var config = Parse("""
            akka {
              loglevel = INFO
              actor { timeout = 5s, retries = 3, empty {} }
            }
            list = [1, two, true, null]
            objects = [{ a = 1 }]
            "dotted.key" = "x\ny"
            """);
        const string expected = """
            akka {
              loglevel = "INFO"
              actor {
                timeout = "5s"
                retries = 3
                empty = {}
              }
            }
            list = [1, "two", true, null]
            objects = [
              {
                a = 1
              }
            ]
            "dotted.key" = "x\ny"

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), config.Render());
        Assert.Equal(config.Render(), config.ToString());
    }

    [Fact]
    public void RenderingRoundTrips()
    {
        var config = Parse("""
            "" = empty-key
            include-not = 1
            "include" = 2
            "a b" { "c.d" = "quote\" backslash\\ tab\t control\u0001 unicode \u00e9" }
            n = [1e5, -0.5, 9223372036854775807, []]
            nested = [[1, 2], [{ x = [] }]]
            t = true
            z = null
            "1" = one
            """);
        string rendered = config.Render();
        var reparsed = Parse(rendered);
        Assert.Equal(rendered, reparsed.Render());
        Assert.Equal(Json(config), Json(reparsed));
    }

    [Fact]
    public void ValuesRenderOnTheirOwn()
    {
        var config = Parse("a = [1, [2]]\nb { c = d }\ns = \"x\"");
        Assert.Equal("[\n  1,\n  [2]\n]", config.GetValue("a")!.Render());
        Assert.Equal("{\n  c = \"d\"\n}", config.GetValue("b")!.Render());
        Assert.Equal("\"x\"", config.GetValue("s")!.ToString());
    }

    [Fact]
    public void EmptyConfigRendersAsNothing()
    {
        Assert.Equal(string.Empty, Config.Empty.Render());
    }
}
