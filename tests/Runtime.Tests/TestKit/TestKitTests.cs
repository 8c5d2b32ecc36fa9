using IommuSim.Runtime;
using IommuSim.Runtime.Tests.Engine;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Runtime.Tests.Kit;

public sealed class TestKitTests(ITestOutputHelper output) : IommuSim.TestKit.TestKit(output)
{
    [Fact]
    public void ExpectMsg_fails_with_a_message_naming_the_type_and_the_timeout()
    {
        var e = Assert.Throws<TestKitAssertionException>(() => ExpectMsg<string>(TimeSpan.FromMilliseconds(50)));
        Assert.Contains("Timeout (50 ms) while waiting for a message of type String", e.Message);
        TestActor.Tell(1, ActorRefs.NoSender);
        var w = Assert.Throws<TestKitAssertionException>(() => ExpectMsg<string>());
        Assert.Contains("Expected a message of type String, got Int32: 1", w.Message);
    }

    [Fact]
    public void ExpectMsg_with_predicate_or_value_checks_the_content()
    {
        TestActor.Tell("abc", ActorRefs.NoSender);
        TestActor.Tell("xyz", ActorRefs.NoSender);
        Assert.Equal("abc", ExpectMsg<string>(s => s.StartsWith('a')));
        var e = Assert.Throws<TestKitAssertionException>(() => ExpectMsg("abc"));
        Assert.Contains("Expected abc, got xyz", e.Message);
    }

    [Fact]
    public void ExpectNoMsg_fails_when_a_message_arrives()
    {
        TestActor.Tell("surprise", ActorRefs.NoSender);
        var e = Assert.Throws<TestKitAssertionException>(() => ExpectNoMsg(TimeSpan.FromMilliseconds(100)));
        Assert.Contains("got String: surprise", e.Message);
    }

    [Fact]
    public void Probes_reply_to_the_last_sender_and_forward_with_the_original_sender()
    {
        var probe = CreateTestProbe("server");
        var other = CreateTestProbe("other");
        probe.Ref.Tell("request", TestActor);
        probe.ExpectMsg("request");
        probe.Reply("response");
        ExpectMsg("response");
        Assert.Equal(probe.Ref, LastSender);
        probe.Forward(other.Ref);
        other.ExpectMsg("request");
        Assert.Equal(TestActor, other.LastSender);
    }

    [Fact]
    public void ReceiveN_and_FishForMessage_read_in_order()
    {
        for (var i = 0; i < 5; i++) TestActor.Tell(i, ActorRefs.NoSender);
        Assert.Equal([0, 1, 2], ReceiveN(3).Cast<int>());
        TestActor.Tell("needle", ActorRefs.NoSender);
        Assert.Equal("needle", FishForMessage<string>(s => s == "needle"));
        ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void Within_checks_the_duration_and_bounds_the_expectations_inside()
    {
        var e = Assert.Throws<TestKitAssertionException>(() => Within(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), () => { }));
        Assert.Contains("less than the minimum 200 ms", e.Message);
        var t = Assert.Throws<TestKitAssertionException>(() => Within(TimeSpan.FromMilliseconds(100), () => ExpectMsg<string>()));
        Assert.Contains("while waiting for a message of type String", t.Message);
    }

    [Fact]
    public void AwaitAssert_retries_until_the_assertion_passes_or_reports_its_last_failure()
    {
        var counter = 0;
        AwaitAssert(() => Assert.True(++counter >= 3), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10));
        Assert.True(counter >= 3);
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AwaitAssert(() => Assert.Equal(1, 2), TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public void Dilated_multiplies_by_the_configured_time_factor()
    {
        using var slow = new IommuSim.TestKit.TestKit(Output, "akka.test.timefactor = 3");
        if (Environment.GetEnvironmentVariable("IOMMUSIM_TEST_TIMEFACTOR") is null)
            Assert.Equal(TimeSpan.FromSeconds(3), slow.Dilated(TimeSpan.FromSeconds(1)));
        Assert.Throws<IommuSim.Runtime.Configuration.ConfigException>(() => new IommuSim.TestKit.TestKit(Output, "akka.test.timefactor = 0"));
    }

    [Fact]
    public void Log_events_reach_the_event_stream()
    {
        Sys.EventStream.Subscribe(TestActor, typeof(Event.LogEvent));
        Sys.Log.Warning("hello from the test");
        var log = ExpectMsg<Event.LogEvent>();
        Assert.Equal(Event.LogLevel.Warning, log.Level);
        Assert.Equal("hello from the test", log.Message);
        _ = typeof(Echo);
    }
}
