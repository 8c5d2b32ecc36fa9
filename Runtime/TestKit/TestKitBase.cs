using System.Diagnostics;
using IommuSim.Runtime;

namespace IommuSim.TestKit;

/// <summary>
/// The expectations shared by <see cref="TestKit"/> and <see cref="TestProbe"/>: each reads the
/// messages its test actor received, in order, waiting at most a (time-factor dilated) timeout.
/// Waiting is on the wall clock, or — on the deterministic dispatcher — by running the system in
/// virtual time, so that a deterministic test never sleeps.
/// </summary>
public abstract partial class TestKitBase
{
    private readonly TestMessageQueue _queue = new();
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private TimeSpan? _withinEnd;

    protected TestKitBase(ActorSystem system, TestKitSettings settings, string testActorName)
    {
        Sys = system;
        Settings = settings;
        TestActor = system.ActorOf(Props.Create(() => new TestActor(_queue)), testActorName);
    }

    public ActorSystem Sys { get; }
    public TestKitSettings Settings { get; }
    /// <summary>The actor whose received messages the Expect methods read; use it as a reply target.</summary>
    public IActorRef TestActor { get; }
    /// <summary>The sender of the last message an Expect or Receive method returned.</summary>
    public IActorRef LastSender { get; private set; } = ActorRefs.Nobody;
    public object? LastMessage { get; private set; }
    /// <summary>Messages received and not yet read.</summary>
    public int QueuedMessages => _queue.Count;

    /// <summary>Runs on the deterministic dispatcher (waits move virtual time) when not null.</summary>
    protected Runtime.Deterministic.DeterministicDispatcher? Deterministic => Sys.Deterministic;

    /// <summary>The clock the expectations measure: virtual on the deterministic dispatcher, wall otherwise.</summary>
    public TimeSpan Now => Deterministic?.Clock.Now ?? _wall.Elapsed;

    /// <summary>Multiplies a duration by the configured time factor (virtual time needs none, but it does no harm).</summary>
    public TimeSpan Dilated(TimeSpan duration) =>
        duration == System.Threading.Timeout.InfiniteTimeSpan ? duration : TimeSpan.FromTicks((long)(duration.Ticks * Settings.TimeFactor));

    /// <summary>Time left in the innermost Within block, or the given default.</summary>
    public TimeSpan RemainingOrDefault(TimeSpan defaultTimeout) =>
        _withinEnd is { } end ? Max(end - Now, TimeSpan.Zero) : defaultTimeout;

    private TimeSpan ExpectTimeout(TimeSpan? requested) =>
        requested is { } r ? Dilated(r) : RemainingOrDefault(Dilated(Settings.SingleExpectDefault));

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Waits for the next message; false on timeout.</summary>
    private bool TryReceiveOne(TimeSpan timeout, out Envelope envelope)
    {
        if (Deterministic is { } d)
        {
            if (_queue.IsEmpty) d.RunUntil(() => !_queue.IsEmpty, timeout);
            if (!_queue.TryTakeNow(out envelope)) return false;
        }
        else if (!_queue.TryTake(timeout, out envelope))
        {
            return false;
        }
        LastSender = envelope.Sender ?? ActorRefs.Nobody;
        LastMessage = envelope.Message;
        return true;
    }

    private object ReceiveOne(TimeSpan timeout, string what)
    {
        if (TryReceiveOne(timeout, out var env)) return env.Message;
        throw new TestKitAssertionException($"Timeout ({timeout.TotalMilliseconds:F0} ms) while waiting for {what}");
    }

    /// <summary>Lets time pass: sleeps, or runs the deterministic system for that long in virtual time.</summary>
    protected void Pass(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero) return;
        if (Deterministic is { } d) d.RunFor(duration);
        else Thread.Sleep(duration);
    }

    /// <summary>Sends a message to an actor with the test actor as sender.</summary>
    public void Send(IActorRef target, object message) => target.Tell(message, TestActor);

    /// <summary>Makes the test actor watch the target, so that ExpectTerminated can see it stop.</summary>
    public IActorRef Watch(IActorRef target)
    {
        TestActor.Tell(new TestActor.WatchRequest(target), ActorRefs.NoSender);
        Deterministic?.RunUntilIdle();
        return target;
    }

    public IActorRef Unwatch(IActorRef target)
    {
        TestActor.Tell(new TestActor.UnwatchRequest(target), ActorRefs.NoSender);
        Deterministic?.RunUntilIdle();
        return target;
    }
}
