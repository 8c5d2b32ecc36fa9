using IommuSim.Runtime;
using Xunit.Abstractions;

namespace IommuSim.TestKit;

/// <summary>
/// A base for test classes that run every test on both dispatchers: derive once with
/// <c>deterministic: false</c> (a <see cref="TestKit"/> on the thread pool) and once with
/// <c>true</c> (a <see cref="DeterministicTestKit"/> in virtual time). The usual expectations
/// are forwarded to the kit; <see cref="Call{T}"/> is a request answered by one reply.
/// </summary>
public abstract class DispatcherTestBase : IDisposable
{
    protected DispatcherTestBase(ITestOutputHelper output, bool deterministic, ulong seed = 1) =>
        Kit = deterministic ? new DeterministicTestKit(output, seed) : new TestKit(output);

    /// <summary>The test kit: <see cref="TestKit"/> on the thread pool, or <see cref="DeterministicTestKit"/>.</summary>
    protected TestKit Kit { get; }

    protected ActorSystem Sys => Kit.Sys;

    protected IActorRef TestActor => Kit.TestActor;

    protected void Send(IActorRef target, object message) => Kit.Send(target, message);

    protected T ExpectMsg<T>(TimeSpan? timeout = null) => Kit.ExpectMsg<T>(timeout);

    protected void ExpectNoMsg(TimeSpan? duration = null) => Kit.ExpectNoMsg(duration);

    protected void AwaitAssert(Action assertion, TimeSpan? duration = null) => Kit.AwaitAssert(assertion, duration);

    protected TestProbe CreateTestProbe(string? name = null) => Kit.CreateTestProbe(name);

    protected IActorRef Watch(IActorRef target) => Kit.Watch(target);

    protected Terminated ExpectTerminated(IActorRef target) => Kit.ExpectTerminated(target);

    /// <summary>Sends a request from the test actor and returns its reply.</summary>
    protected T Call<T>(IActorRef target, object request) where T : class
    {
        Send(target, request);
        return ExpectMsg<T>();
    }

    public void Dispose()
    {
        Kit.Dispose();
        GC.SuppressFinalize(this);
    }
}
