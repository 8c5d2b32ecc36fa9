namespace IommuSim.Runtime.Configuration;

/// <summary>Durations and sizes in bytes (HOCON.md "units format"); a bare number is in the default unit.</summary>
public sealed partial class Config
{
    /// <summary>
    /// "10ms", "5 s", "1m", "2h", "1d", "100us", "100ns"; a bare number is milliseconds; "infinite" is
    /// <see cref="Timeout.InfiniteTimeSpan"/>.
    /// </summary>
    public TimeSpan GetTimeSpan(string path) => ToTimeSpan(FullPath(path), Require(path, "a duration"));

    public TimeSpan GetTimeSpan(string path, TimeSpan @default) => Optional(path) is { } value ? ToTimeSpan(FullPath(path), value) : @default;

    /// <summary>
    /// A duration in nanoseconds, exact below the 100 ns of a <see cref="TimeSpan"/> tick ("2ns",
    /// "0.5us", "1.5 ms"; a bare number is milliseconds, as for <see cref="GetTimeSpan(string)"/>):
    /// for costs that are a few nanoseconds each.
    /// </summary>
    public double GetNanoseconds(string path)
    {
        var value = Require(path, "a duration");
        string text = value switch
        {
            ConfigNumber number => number.Text,
            ConfigString written => written.Value,
            _ => throw WrongType(FullPath(path), value, "a duration"),
        };
        string? error = Durations.TryParseNanoseconds(text, out var nanoseconds);
        return error is null ? nanoseconds : throw new ConfigException(value.Position, $"invalid value for '{FullPath(path)}': {error}");
    }

    /// <summary>"512", "4KiB", "1G" (powers of 1024), "10kB" (powers of 1000), "1 TiB"; a bare number is bytes.</summary>
    public long GetByteSize(string path) => ToByteSize(FullPath(path), Require(path, "a size in bytes"));

    public long GetByteSize(string path, long @default) => Optional(path) is { } value ? ToByteSize(FullPath(path), value) : @default;

    private static TimeSpan ToTimeSpan(string path, ConfigValue value)
    {
        if (value is ConfigString { Value: var keyword } && keyword.Trim() == "infinite")
        {
            return Timeout.InfiniteTimeSpan;
        }

        string text = value switch
        {
            ConfigNumber number => number.Text,
            ConfigString written => written.Value,
            _ => throw WrongType(path, value, "a duration"),
        };

        string? error = Durations.TryParse(text, out var duration);
        return error is null ? duration : throw new ConfigException(value.Position, $"invalid value for '{path}': {error}");
    }

    private static long ToByteSize(string path, ConfigValue value)
    {
        string text = value switch
        {
            ConfigNumber number => number.Text,
            ConfigString written => written.Value,
            _ => throw WrongType(path, value, "a size in bytes"),
        };

        string? error = ByteSizes.TryParse(text, out long bytes);
        return error is null ? bytes : throw new ConfigException(value.Position, $"invalid value for '{path}': {error}");
    }
}
