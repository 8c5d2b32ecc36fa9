using IommuSim.Messages;
using IommuSim.Messages.Mm;
using IommuSim.Runtime;
using IommuSim.Simulator.Scenarios.Steps;
using Xunit;

namespace IommuSim.Simulator.Tests;

public sealed partial class StepTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Parallel_branches_run_concurrently_and_their_names_are_visible_after_the_block(bool deterministic)
    {
        var report = Cli.Run(Machine + """
            steps = [
              { parallel = [
                  { op = mmap, process = p0, pages = 1, name = a }
                  { sequence = [ { op = mmap, process = p0, pages = 1, name = b }, { op = cpu-write, process = p0, address = b, value = 2 } ] }
              ] }
              { parallel {
                  one { op = cpu-write, process = p0, address = a, value = 1 }
                  two = [ { op = cpu-read, process = p0, address = b, expect { value = 2 } } ]
              } }
              { op = cpu-read, process = p0, address = a, expect { value = 1 } }
              { op = mm-stats, process = p0, expect { vmas = 2 } }
            ]
            """, deterministic);
        Cli.AssertAllHeld(report, 10);
    }

    [Fact]
    public void The_seed_chooses_the_interleaving_of_a_parallel_block()
    {
        // Two writers race to one page; the later store wins. Over seeds both orders happen, and a seed always gives the same one.
        const string Race = Machine + """
            steps = [
              { op = mmap, process = p0, pages = 1, name = a }
              { parallel = [
                  { op = cpu-write, process = p0, address = a, value = 1, delay-rounds = [0, 3] }
                  { op = cpu-write, process = p0, address = a, value = 2, delay-rounds = [0, 3] }
              ] }
              { op = cpu-read, process = p0, address = a, expect { value = 1 } }
            ]
            """;
        var scenario = Cli.Parse(Race);
        var outcomes = Enumerable.Range(1, 20).Select(seed => Runner.ScenarioRunner.Run(scenario, new Runner.RunSettings { Seed = (ulong)seed }).Report).ToList();
        Assert.Contains(outcomes, r => r.ExitCode == 0);
        Assert.Contains(outcomes, r => r.ExitCode == 1 && r.Expectations.Failures[0].Actual == "2");
        var again = Runner.ScenarioRunner.Run(scenario, new Runner.RunSettings { Seed = 7 }).Report;
        Assert.Equal(outcomes[6].TraceHash, again.TraceHash);
        Assert.Equal(outcomes[6].ExitCode, again.ExitCode);
    }

    [Fact]
    public void A_sequence_repeats_and_sleep_and_delay_let_simulated_time_pass()
    {
        var report = Cli.Run(Machine + """
            steps = [
              { op = mmap, process = p0, pages = 1, name = a }
              { repeat = 3, sequence = [ { op = cpu-write, process = p0, address = a, value = 5 }, { op = sleep, duration = 10us } ] }
              { op = cpu-read, process = p0, address = a, delay = 1ms, expect { value = 5 } }
            ]
            """);
        Cli.AssertAllHeld(report, 6);
        Assert.True(report.SimulatedNs >= 1_030_000, $"{report.SimulatedNs} ns");
    }

    [Fact]
    public void A_workload_starts_each_operation_at_its_period_or_rate_over_its_span_of_simulated_time()
    {
        const string Workload = Machine + """
            steps = [
              { op = mmap, process = p0, pages = 16, name = a }
              { op = workload, duration = 100us, operations = [
                  { every = 10us, step { op = cpu-write, process = p0, address = "a + random(0, 15) * 4KiB", value = 1 } }
                  { rate = 200000, steps = [
                      { op = cpu-read, process = p0, address = a, name = mine }
                      { op = eval, value = "mine[0]" }
                  ] }
              ] }
              { op = mm-stats, process = p0, expect { vmas = 1 } }
            ]
            """;
        var scenario = Cli.Parse(Workload);
        var report = Runner.ScenarioRunner.Run(scenario, new Runner.RunSettings { Seed = 3 }).Report;
        Assert.True(report.ExitCode == 0, Cli.Describe(report));
        // mmap, 10 periodic writes (at 10, 20, ... 100 us), N reads, mm-stats + its counter.
        var reads = report.Expectations.Passed - 13;
        Assert.InRange(reads, 5, 40); // 200,000/s over 100 us: 20 on average
        Assert.True(report.SimulatedNs >= 100_000);
        // The arrivals come from the seed: the same seed gives the same workload.
        var again = Runner.ScenarioRunner.Run(scenario, new Runner.RunSettings { Seed = 3 }).Report;
        Assert.Equal((report.Expectations.Passed, report.TraceHash), (again.Expectations.Passed, again.TraceHash));
        // A name an operation bound is its own: it is not visible after the workload.
        Assert.Contains(Cli.Errors(Workload.Replace("{ op = mm-stats, process = p0, expect { vmas = 1 } }", "{ op = eval, value = \"mine[0]\" }")),
            e => e.Message.Contains("unknown name 'mine'"));
    }

    /// <summary>An mm that fails mmap but changes its counters anyway: the runner's "a failed call changes nothing" check must catch it.</summary>
    private sealed class LeakyMm : ReceiveActor
    {
        public LeakyMm()
        {
            var vmas = 0;
            Receive<Mmap>(_ =>
            {
                vmas++;
                Sender.Tell(new MmapReply(Errno.ENOMEM, default));
            });
            Receive<GetMmStats>(_ => Sender.Tell(new MmStats(Errno.None, 0, vmas, 0, 0, 0, 0, 0)));
            Receive<Exit>(_ => Sender.Tell(Done.Ok));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_failed_call_that_changes_the_mm_is_a_violation(bool deterministic)
    {
        var report = Cli.Run("""
            machine { processes { p0 {} } }
            steps = [ { op = mmap, process = p0, pages = 1, expect { errno = ENOMEM } } ]
            """, deterministic, arrange: m => m.Processes["p0"] = m.System.ActorOf(Props.Create(() => new LeakyMm()), "leaky"));
        Assert.Equal(0, report.Expectations.Failed);
        var v = Assert.Single(report.Violations);
        Assert.Equal(MmSteps.FailedCallInvariant, v.Invariant);
        Assert.Equal("Mmap failed with ENOMEM but changed p0's mm: vmas 0 -> 1", v.Message);
        Assert.StartsWith("mmap (test.hocon:2:11)", v.Step);
        Assert.Equal(1, report.ExitCode);
    }

    [Fact]
    public void A_correct_mm_passes_the_failed_call_check()
    {
        var report = Cli.Run(Machine + """
            steps = [
              { op = mmap, process = p0, pages = 2, name = a }
              { op = cpu-write, process = p0, address = a, values = [1, 2] }
              { op = munmap, process = p0, address = "a + 1", pages = 1, expect { errno = EINVAL } }
              { op = mprotect, process = p0, address = a, pages = 2, prot = r }
              { op = mremap, process = p0, address = a, old-pages = 2, new-pages = 4, flags = [fixed], to = "a + 1 page", expect { errno = EINVAL } }
              { op = fork, process = p0, child = c }
              { op = exit, process = c }
              { op = fork, process = c, child = d, expect { errno = ESRCH } }
            ]
            """);
        Cli.AssertAllHeld(report, 8);
    }
}
