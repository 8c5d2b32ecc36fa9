using IommuSim.Runtime;
using IommuSim.Runtime.Configuration;
using IommuSim.Runtime.Event;
using Xunit.Abstractions;

namespace IommuSim.TestKit;

/// <summary>
/// Base class for xunit tests of actors (shaped like Akka.TestKit.Xunit2's TestKit): one actor
/// system per test, logs written into the test's output, terminated when the test is disposed.
/// </summary>
public class TestKit : TestKitBase, IDisposable
{
    private readonly IDisposable? _logSubscription;
    private int _probes;

    public TestKit(ITestOutputHelper? output = null, string? config = null, string? systemName = null)
        : this(output, config == null ? null : ConfigurationFactory.ParseString(config, "test config"), systemName)
    {
    }

    public TestKit(ITestOutputHelper? output, Config? config, string? systemName = null)
        : this(CreateSystem(output, config, systemName), output)
    {
    }

    private TestKit((ActorSystem System, IDisposable? Log) created, ITestOutputHelper? output)
        : base(created.System, new TestKitSettings(created.System.Settings.Config), "testActor1")
    {
        _logSubscription = created.Log;
        Output = output;
    }

    public ITestOutputHelper? Output { get; }

    private static (ActorSystem, IDisposable?) CreateSystem(ITestOutputHelper? output, Config? config, string? systemName)
    {
        // Test logs go to the xunit output, not stdout.
        var quiet = ConfigurationFactory.ParseString("akka.stdout-loglevel = OFF", "test kit");
        var full = config == null ? quiet : config.WithFallback(quiet);
        var system = ActorSystem.Create(systemName ?? "test", full);
        IDisposable? sub = null;
        if (output != null)
        {
            sub = system.EventStream.Subscribe(typeof(LogEvent), e =>
            {
                try
                {
                    output.WriteLine(e.ToString());
                }
                catch (InvalidOperationException)
                {
                    // xunit refuses output after the test finished; a late log line is not an error.
                }
            });
        }
        return (system, sub);
    }

    /// <summary>A new probe: its own test actor and expectations, on this kit's system.</summary>
    public TestProbe CreateTestProbe(string? name = null) =>
        new(Sys, Settings, name ?? $"testProbe{Interlocked.Increment(ref _probes)}");

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing) return;
        var terminated = Sys.Terminate();
        if (Deterministic == null && !terminated.Wait(Dilated(TimeSpan.FromSeconds(10))))
            Output?.WriteLine($"actor system {Sys.Name} did not terminate within 10 s");
        _logSubscription?.Dispose();
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// A test kit on the deterministic dispatcher: every actor runs on the test's thread, time is
/// virtual (Expect timeouts and timers cost no real time), and the seed fixes the interleaving.
/// </summary>
public class DeterministicTestKit(ITestOutputHelper? output = null, ulong seed = 1, string strategy = "random", string? config = null)
    : TestKit(output, DeterministicConfig(seed, strategy, config))
{
    private static Config DeterministicConfig(ulong seed, string strategy, string? extra)
    {
        var text = $$"""
            akka.actor.default-dispatcher = ${akka.actor.deterministic-dispatcher}
            akka.actor.default-dispatcher { seed = {{seed}}, strategy = {{strategy}} }
            """;
        var cfg = ConfigurationFactory.ParseString(text, "deterministic test kit");
        return extra == null ? cfg : ConfigurationFactory.ParseString(extra, "test config").WithFallback(cfg);
    }

    public Runtime.Deterministic.DeterministicDispatcher Dispatcher => Deterministic!;
}
