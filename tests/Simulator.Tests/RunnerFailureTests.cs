using IommuSim.Messages.Mm;
using IommuSim.Runtime;
using Xunit;

namespace IommuSim.Simulator.Tests;

/// <summary>A run that cannot finish, or whose actors fail, is reported as a failure, never as a hang or a crash of the command.</summary>
public sealed class RunnerFailureTests
{
    private const string OneMmap = """
        machine { processes { p0 {} } }
        steps = [ { op = mmap, process = p0, pages = 1 } ]
        """;

    private sealed class Mute : ReceiveActor
    {
        public Mute() => ReceiveAny(_ => { });
    }

    private sealed class Throws : ReceiveActor
    {
        public Throws()
        {
            Receive<Mmap>(_ => throw new InvalidOperationException("mmap exploded"));
            ReceiveAny(_ => { });
        }
    }

    [Fact]
    public void A_request_never_answered_stops_the_deterministic_run_with_the_step_named()
    {
        var report = Cli.Run(OneMmap, arrange: m => m.Processes["p0"] = m.System.ActorOf(Props.Create(() => new Mute()), "mute"));
        Assert.Equal(1, report.ExitCode);
        var f = Assert.Single(report.Expectations.Failures);
        Assert.Equal("every step finishes", f.Expected);
        Assert.Contains("a request was never answered", f.Actual);
        Assert.Contains("mmap (test.hocon:2:11)", f.Actual);
    }

    [Fact]
    public void An_actor_that_throws_loses_the_request_and_the_run_fails_naming_the_step()
    {
        // The supervisor restarts the actor; the request it was serving is never answered.
        var report = Cli.Run(OneMmap, arrange: m => m.Processes["p0"] = m.System.ActorOf(Props.Create(() => new Throws()), "throws"));
        Assert.Equal(1, report.ExitCode);
        var f = Assert.Single(report.Expectations.Failures);
        Assert.Contains("a request was never answered", f.Actual);
        Assert.Contains("mmap (test.hocon:2:11)", f.Actual);
    }

    [Fact]
    public void A_run_past_the_deterministic_dispatchers_max_steps_is_a_failure()
    {
        var report = Cli.Run("""
            akka.actor.deterministic-dispatcher.max-steps = 20
            machine { processes { p0 {} } }
            steps = [ { op = mmap, process = p0, pages = 64, name = a }, { op = cpu-write, process = p0, address = a, values = "0..63" } ]
            """);
        Assert.Equal(1, report.ExitCode);
        Assert.Contains(report.Expectations.Failures, f => f.Actual.Contains("without becoming quiescent"));
    }
}
