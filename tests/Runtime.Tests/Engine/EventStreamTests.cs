using IommuSim.Runtime.Event;
using Xunit;

namespace IommuSim.Runtime.Tests.Engine;

public sealed class EventStreamTests
{
    private sealed record Ping(int N);

    private sealed record Pong(int N);

    [Fact]
    public void Events_no_subscriber_receives_are_counted_as_unobserved()
    {
        var stream = new EventStream();
        stream.Publish(new Ping(1));
        Assert.Equal(1, stream.UnobservedPublishes);

        var seen = new List<object>();
        using (stream.Subscribe(typeof(Ping), seen.Add))
        {
            stream.Publish(new Ping(2));
            // A subscription to another type does not observe a Pong.
            stream.Publish(new Pong(3));
            Assert.Equal([new Ping(2)], seen);
            Assert.Equal(2, stream.UnobservedPublishes);
        }

        stream.Publish(new Ping(4));
        Assert.Equal(3, stream.UnobservedPublishes);
        Assert.Single(seen);
    }
}
