using IommuSim.Runtime.Configuration;
using IommuSim.Runtime.Event;

namespace IommuSim.Runtime;

/// <summary>The actor system's settings, read once from its configuration (<c>akka.*</c>).</summary>
public sealed class Settings
{
    internal Settings(Config config)
    {
        Config = config;
        var akka = config.GetConfig("akka");
        LogLevel = Logging.Parse(akka.GetString("loglevel", "INFO"), akka, "loglevel");
        StdoutLogLevel = Logging.Parse(akka.GetString("stdout-loglevel", "WARNING"), akka, "stdout-loglevel");
        LogDeadLetters = akka.GetString("log-dead-letters", "10") switch
        {
            "on" or "true" => int.MaxValue,
            "off" or "false" => 0,
            _ => akka.GetInt("log-dead-letters"),
        };
        var ask = akka.GetConfig("actor").GetTimeSpan("ask-timeout", Timeout.InfiniteTimeSpan);
        AskTimeout = ask == Timeout.InfiniteTimeSpan ? null : ask;
        GuardianStrategy = akka.GetConfig("actor").GetString("guardian-supervisor-strategy", "default") switch
        {
            "default" => SupervisorStrategy.DefaultStrategy,
            "stopping" => SupervisorStrategy.StoppingStrategy,
            var other => throw new ConfigException(akka.PositionOf("actor.guardian-supervisor-strategy"), $"'akka.actor.guardian-supervisor-strategy' is '{other}', expected default or stopping"),
        };
    }

    public Config Config { get; }
    /// <summary>Lowest level published on the event stream (<c>akka.loglevel</c>).</summary>
    public LogLevel LogLevel { get; }
    /// <summary>Lowest level the built-in stdout logger prints (<c>akka.stdout-loglevel</c>).</summary>
    public LogLevel StdoutLogLevel { get; }
    /// <summary>How many dead letters are logged before the log goes quiet (<c>akka.log-dead-letters</c>).</summary>
    public int LogDeadLetters { get; }
    /// <summary>Timeout of an Ask given none (<c>akka.actor.ask-timeout</c>); null waits forever.</summary>
    public TimeSpan? AskTimeout { get; }
    /// <summary>How the user guardian supervises top-level actors.</summary>
    public SupervisorStrategy GuardianStrategy { get; }
}
