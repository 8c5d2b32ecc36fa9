using System.Text.RegularExpressions;
using IommuSim.Simulator;
using Xunit;

namespace IommuSim.Simulator.Tests;

public sealed class RunCommandTests
{
    private static (int Exit, string Out, string Err) Invoke(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = Program.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static string Hash(string output) => Regex.Match(output, "trace hash +([0-9a-f]{16})").Groups[1].Value;

    [Fact]
    public void Run_on_the_deterministic_dispatcher_reproduces_its_trace_hash_for_a_seed()
    {
        var first = Invoke("run", "--seed", "11", "--invalidations", "500");
        var again = Invoke("run", "--seed", "11", "--invalidations", "500");
        var other = Invoke("run", "--seed", "12", "--invalidations", "500");
        Assert.Equal(0, first.Exit);
        Assert.Contains("violations      0", first.Out);
        Assert.Matches("deliveries +8,001", first.Out); // 1 start + 500 invalidations x 8 mirrors x (invalidate + fence)
        Assert.NotEqual("", Hash(first.Out));
        Assert.Equal(Hash(first.Out), Hash(again.Out));
        Assert.NotEqual(Hash(first.Out), Hash(other.Out));
    }

    [Fact]
    public void Run_on_the_thread_pool_completes_without_violations()
    {
        var r = Invoke("run", "--dispatcher", "threadpool", "--invalidations", "2000", "--mirrors", "4");
        Assert.Equal(0, r.Exit);
        Assert.Contains("OK", r.Out);
        Assert.DoesNotContain("trace hash", r.Out);
    }

    [Theory]
    [InlineData("run", "--dispatcher", "bogus")]
    [InlineData("run", "--mirrors", "0")]
    [InlineData("run", "--seed", "-1")]
    [InlineData("no-such-command")]
    public void Bad_usage_exits_with_2_and_says_why(params string[] args)
    {
        var r = Invoke(args);
        Assert.Equal(2, r.Exit);
        Assert.NotEqual("", r.Err.Trim());
    }
}
