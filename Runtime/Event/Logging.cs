using System.Globalization;

namespace IommuSim.Runtime.Event;

public enum LogLevel { Debug = 0, Info = 1, Warning = 2, Error = 3, Off = 4 }

/// <summary>A log line, published on the event stream; loggers (stdout, the test kit's xunit output) subscribe to it.</summary>
public sealed record LogEvent(LogLevel Level, TimeSpan Timestamp, string Source, string Message, Exception? Cause, int ThreadId)
{
    public override string ToString()
    {
        var level = Level switch { LogLevel.Debug => "DEBUG", LogLevel.Info => "INFO", LogLevel.Warning => "WARNING", _ => "ERROR" };
        var text = $"[{level}][{Timestamp.TotalMilliseconds.ToString("F3", CultureInfo.InvariantCulture)}ms][t{ThreadId}][{Source}] {Message}";
        return Cause == null ? text : text + Environment.NewLine + Cause;
    }
}

/// <summary>Logging for actors and the system: events below the configured level are not built at all.</summary>
public interface ILoggingAdapter
{
    bool IsEnabled(LogLevel level);
    void Log(LogLevel level, string message, Exception? cause = null);
    void Debug(string message);
    void Info(string message);
    void Warning(string message);
    void Error(string message);
    void Error(Exception cause, string message);
}

internal sealed class Logging(ActorSystem system, LogLevel level)
{
    public LogLevel Level { get; } = level;

    public ILoggingAdapter For(string source, Type? type) => new Adapter(this, type == null ? source : $"{source} ({type.Name})");

    private void Publish(LogLevel level, string source, string message, Exception? cause)
    {
        if (level < Level) return;
        system.EventStream.Publish(new LogEvent(level, system.Scheduler.Now, source, message, cause, Environment.CurrentManagedThreadId));
    }

    private sealed class Adapter(Logging logging, string source) : ILoggingAdapter
    {
        public bool IsEnabled(LogLevel level) => level >= logging.Level && level != LogLevel.Off;
        public void Log(LogLevel level, string message, Exception? cause = null)
        {
            if (IsEnabled(level)) logging.Publish(level, source, message, cause);
        }
        public void Debug(string message) => Log(LogLevel.Debug, message);
        public void Info(string message) => Log(LogLevel.Info, message);
        public void Warning(string message) => Log(LogLevel.Warning, message);
        public void Error(string message) => Log(LogLevel.Error, message);
        public void Error(Exception cause, string message) => Log(LogLevel.Error, message, cause);
    }

    public static LogLevel Parse(string text, Configuration.Config config, string path) => text.ToUpperInvariant() switch
    {
        "DEBUG" => LogLevel.Debug,
        "INFO" => LogLevel.Info,
        "WARNING" or "WARN" => LogLevel.Warning,
        "ERROR" => LogLevel.Error,
        "OFF" => LogLevel.Off,
        _ => throw new Configuration.ConfigException(config.PositionOf(path), $"'{path}' is '{text}', expected DEBUG, INFO, WARNING, ERROR or OFF"),
    };
}
