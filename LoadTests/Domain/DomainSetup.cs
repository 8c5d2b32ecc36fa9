using IommuSim.LoadTests.Runtime;
using IommuSim.Messages;
using IommuSim.Runtime;

namespace IommuSim.LoadTests.Domain;

/// <summary>Set-up steps shared by the domain scenarios: a request answered within a minute, and a failed step stops the run with its errno.</summary>
internal static class DomainSetup
{
    public static T Ask<T>(IActorRef target, object message)
    {
        var task = target.Ask<T>(message, TimeSpan.FromMinutes(1));
        BenchmarkSystems.Wait(task, message.GetType().Name);
        return task.Result;
    }

    public static void Expect(Errno errno, string what)
    {
        if (errno != Errno.None) throw new InvalidOperationException($"{what} failed: {errno.Describe()}");
    }
}
