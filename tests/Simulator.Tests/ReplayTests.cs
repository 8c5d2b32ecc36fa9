using System.Text.RegularExpressions;
using Xunit;

namespace IommuSim.Simulator.Tests;

/// <summary>A schedule explore found is reproduced by replay: same seed, same trace hash, same outcome.</summary>
public sealed class ReplayTests
{
    private static string Hash(string output) => Regex.Match(output, "trace hash ([0-9a-f]{16})").Groups[1].Value;

    [Fact]
    public void Replay_of_the_seed_explore_found_gives_the_same_trace_hash_and_the_same_violation()
    {
        var explore = Cli.Invoke("explore", "munmap-vs-fault-race", "--schedules", "300", "--strategy", "pct", "--bug", "skip-sequence-check", "--seed", "20");
        Assert.Equal(1, explore.Exit);
        var seed = Regex.Match(explore.Out, @"replay: iommusim replay munmap-vs-fault-race --seed (\d+) --strategy pct --bug skip-sequence-check").Groups[1].Value;
        Assert.NotEqual("", seed);
        Assert.NotEqual("", Hash(explore.Out));

        var replay = Cli.Invoke("replay", "munmap-vs-fault-race", "--seed", seed, "--strategy", "pct", "--bug", "skip-sequence-check");
        Assert.Equal(1, replay.Exit);
        Assert.Equal(Hash(explore.Out), Hash(replay.Out));
        Assert.Contains("VIOLATION no-dma-after-invalidation", replay.Out);

        // Without the bug the same schedule is safe; its trace differs (the check retries the fault).
        var fixedRun = Cli.Invoke("replay", "munmap-vs-fault-race", "--seed", seed, "--strategy", "pct");
        Assert.Equal(0, fixedRun.Exit);
    }

    [Fact]
    public void Replay_and_run_agree_and_the_trace_file_is_the_same_both_times()
    {
        var a = Cli.TempFile(".jsonl");
        var b = Cli.TempFile(".jsonl");
        try
        {
            var run = Cli.Invoke("run", "hmm-mirror-basics", "--seed", "9", "--trace", a);
            var replay = Cli.Invoke("replay", "hmm-mirror-basics", "--seed", "9", "--trace", b);
            Assert.Equal((0, 0), (run.Exit, replay.Exit));
            Assert.Equal(Hash(run.Out), Hash(replay.Out));
            Assert.Equal(File.ReadAllText(a), File.ReadAllText(b));
            var other = Cli.Invoke("replay", "hmm-mirror-basics", "--seed", "10");
            Assert.NotEqual(Hash(run.Out), Hash(other.Out));
        }
        finally
        {
            File.Delete(a);
            File.Delete(b);
        }
    }
}
