using IommuSim.Runtime;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Runtime.Tests.Engine;

public sealed class AskTests(ITestOutputHelper output) : IommuSim.TestKit.TestKit(output)
{
    private sealed class Replier : ReceiveActor
    {
        public Replier()
        {
            Receive<string>(s => s == "silent", _ => { });
            Receive<string>(s => s == "fail", _ => Sender.Tell(new Status.Failure(new InvalidOperationException("nope")), Self));
            Receive<string>(s => Sender.Tell(s.Length, Self));
        }
    }

    [Fact]
    public async Task Ask_returns_the_reply_and_leaves_no_pending_reply_target()
    {
        var r = Sys.ActorOf(Props.Create(() => new Replier()));
        Assert.Equal(5, await r.Ask<int>("hello", TimeSpan.FromSeconds(5)));
        Assert.Equal(0, Sys.PendingAsks);
    }

    [Fact]
    public async Task Ask_times_out_with_AskTimeoutException_and_a_late_reply_becomes_a_dead_letter()
    {
        var probe = CreateTestProbe();
        var task = probe.Ref.Ask<int>("question", TimeSpan.FromMilliseconds(100));
        probe.ExpectMsg("question");
        await Assert.ThrowsAsync<AskTimeoutException>(() => task);
        Assert.Equal(0, Sys.PendingAsks);
        var dead = Sys.DeadLetterCount;
        probe.Reply(42);
        AwaitAssert(() => Assert.Equal(dead + 1, Sys.DeadLetterCount));
    }

    [Fact]
    public async Task A_Failure_reply_fails_the_task_and_a_reply_of_the_wrong_type_is_an_InvalidCastException()
    {
        var r = Sys.ActorOf(Props.Create(() => new Replier()));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => r.Ask<int>("fail", TimeSpan.FromSeconds(5)));
        Assert.Equal("nope", e.Message);
        var c = await Assert.ThrowsAsync<InvalidCastException>(() => r.Ask<string>("abc", TimeSpan.FromSeconds(5)));
        Assert.Contains("expected a reply of type String, got Int32", c.Message);
        Assert.Equal(0, Sys.PendingAsks);
    }

    [Fact]
    public async Task Cancelling_an_Ask_cancels_the_task_and_frees_the_reply_target()
    {
        var r = Sys.ActorOf(Props.Create(() => new Replier()));
        using var cts = new CancellationTokenSource();
        var task = r.Ask<int>("silent", null, cts.Token);
        Assert.Equal(1, Sys.PendingAsks);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.Equal(0, Sys.PendingAsks);
    }

    [Fact]
    public async Task A_non_positive_timeout_is_rejected()
    {
        var r = Sys.ActorOf(Props.Create(() => new Replier()));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => r.Ask<int>("x", TimeSpan.Zero));
    }
}
