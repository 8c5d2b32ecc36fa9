using IommuSim.Runtime.Configuration;
using Xunit;
using static IommuSim.Runtime.Tests.Configuration.Hocon;

namespace IommuSim.Runtime.Tests.Configuration;

/// <summary>Durations and sizes in bytes (HOCON.md "Duration format" and "Size in bytes format").</summary>
public class UnitTests
{
    [Theory]
    [InlineData("10ms", 10 * TimeSpan.TicksPerMillisecond)]
    [InlineData("\"5 s\"", 5 * TimeSpan.TicksPerSecond)]
    [InlineData("1m", TimeSpan.TicksPerMinute)]
    [InlineData("2h", 2 * TimeSpan.TicksPerHour)]
    [InlineData("1d", TimeSpan.TicksPerDay)]
    [InlineData("100us", 1000)]
    [InlineData("100ns", 1)]
    [InlineData("150ns", 2)]
    [InlineData("500", 500 * TimeSpan.TicksPerMillisecond)]
    [InlineData("\"250\"", 250 * TimeSpan.TicksPerMillisecond)]
    [InlineData("1.5s", 15_000_000)]
    [InlineData("-3 seconds", -3 * TimeSpan.TicksPerSecond)]
    [InlineData("2 minutes", 2 * TimeSpan.TicksPerMinute)]
    [InlineData("3 millis", 3 * TimeSpan.TicksPerMillisecond)]
    [InlineData("1 day", TimeSpan.TicksPerDay)]
    [InlineData("7 nanos", 0)]
    [InlineData("1e3ms", TimeSpan.TicksPerSecond)]
    [InlineData("  4  hours  ", 4 * TimeSpan.TicksPerHour)]
    public void Durations(string written, long ticks)
    {
        Assert.Equal(TimeSpan.FromTicks(ticks), Parse($"d = {written}").GetTimeSpan("d"));
    }

    [Theory]
    [InlineData("2ns", 2.0)]
    [InlineData("7 nanos", 7.0)]
    [InlineData("0.5ns", 0.5)]
    [InlineData("1.5us", 1500.0)]
    [InlineData("\"3 ms\"", 3e6)]
    [InlineData("4", 4e6)]
    [InlineData("1s", 1e9)]
    public void NanosecondsKeepWhatATickWouldRound(string written, double nanoseconds)
    {
        Assert.Equal(nanoseconds, Parse($"d = {written}").GetNanoseconds("d"));
    }

    [Fact]
    public void InvalidNanosecondsAreErrors()
    {
        AssertError(Assert.Throws<ConfigException>(() => Parse("c {\n  t = 5 parsecs\n}").GetConfig("c").GetNanoseconds("t")), 2, 7,
            "invalid value for 'c.t': '5 parsecs' is not a duration: unknown unit 'parsecs'; expected ns, us, ms, s, m, h, d");
        Assert.Throws<ConfigException>(() => Parse("t = [1]").GetNanoseconds("t"));
        Assert.Throws<ConfigException>(() => Parse("").GetNanoseconds("t"));
    }

    [Fact]
    public void InfiniteIsTheInfiniteTimeout()
    {
        Assert.Equal(Timeout.InfiniteTimeSpan, Parse("d = infinite").GetTimeSpan("d"));
        Assert.Equal(Timeout.InfiniteTimeSpan, Parse("d = \" infinite \"").GetTimeSpan("d"));
    }

    [Fact]
    public void DurationDefaults()
    {
        var fallback = TimeSpan.FromSeconds(3);
        Assert.Equal(fallback, Parse("").GetTimeSpan("d", fallback));
        Assert.Equal(fallback, Parse("d = null").GetTimeSpan("d", fallback));
        Assert.Equal(TimeSpan.FromMilliseconds(5), Parse("d = 5ms").GetTimeSpan("d", fallback));
    }

    [Fact]
    public void InvalidDurationsAreErrors()
    {
        AssertError(Assert.Throws<ConfigException>(() => Parse("timeout = 5 parsecs").GetTimeSpan("timeout")), 1, 11,
            "invalid value for 'timeout': '5 parsecs' is not a duration: unknown unit 'parsecs'; expected ns, us, ms, s, m, h, d");
        AssertError(Assert.Throws<ConfigException>(() => Parse("t = 5 MS").GetTimeSpan("t")), 1, 5,
            "invalid value for 't': '5 MS' is not a duration: unknown unit 'MS'; expected ns, us, ms, s, m, h, d");
        AssertError(Assert.Throws<ConfigException>(() => Parse("t = soon").GetTimeSpan("t")), 1, 5,
            "invalid value for 't': 'soon' is not a duration: expected a number followed by an optional unit (ns, us, ms, s, m, h, d)");
        AssertError(Assert.Throws<ConfigException>(() => Parse("t = \"\"").GetTimeSpan("t")), 1, 5,
            "invalid value for 't': '' is not a duration: expected a number followed by an optional unit (ns, us, ms, s, m, h, d)");
        AssertError(Assert.Throws<ConfigException>(() => Parse("t = 99999999999 d").GetTimeSpan("t")), 1, 5,
            "invalid value for 't': '99999999999 d' is out of range for a duration");
        AssertError(Assert.Throws<ConfigException>(() => Parse("t { x = 1 }").GetTimeSpan("t")), 1, 3,
            "'t' has type object, expected a duration");
        Assert.Throws<ConfigException>(() => Parse("t = 1e40").GetTimeSpan("t"));
    }

    [Theory]
    [InlineData("4KiB", 4096L)]
    [InlineData("64GiB", 64L << 30)]
    [InlineData("1G", 1L << 30)]
    [InlineData("512", 512L)]
    [InlineData("\"512\"", 512L)]
    [InlineData("\"1 TiB\"", 1L << 40)]
    [InlineData("10kB", 10_000L)]
    [InlineData("3 MB", 3_000_000L)]
    [InlineData("2k", 2048L)]
    [InlineData("2K", 2048L)]
    [InlineData("2 Ki", 2048L)]
    [InlineData("1.5K", 1536L)]
    [InlineData("7 bytes", 7L)]
    [InlineData("7B", 7L)]
    [InlineData("2 mebibytes", 2L << 20)]
    [InlineData("1 gigabyte", 1_000_000_000L)]
    [InlineData("1 EiB", 1L << 60)]
    [InlineData("1 PB", 1_000_000_000_000_000L)]
    [InlineData("3t", 3L << 40)]
    public void Sizes(string written, long bytes)
    {
        Assert.Equal(bytes, Parse($"s = {written}").GetByteSize("s"));
    }

    [Fact]
    public void SizeDefaults()
    {
        Assert.Equal(99L, Parse("").GetByteSize("s", 99));
        Assert.Equal(1024L, Parse("s = 1K").GetByteSize("s", 99));
    }

    [Fact]
    public void InvalidSizesAreErrors()
    {
        const string units = "B, K, KiB, kB, M, MiB, MB, G, GiB, GB, T, TiB, TB, P, PiB, PB, E, EiB, EB (or their names, e.g. kibibytes)";
        AssertError(Assert.Throws<ConfigException>(() => Parse("s = 5 XB").GetByteSize("s")), 1, 5,
            $"invalid value for 's': '5 XB' is not a size in bytes: unknown unit 'XB'; expected {units}");
        AssertError(Assert.Throws<ConfigException>(() => Parse("s = 10KB").GetByteSize("s")), 1, 5,
            $"invalid value for 's': '10KB' is not a size in bytes: unknown unit 'KB'; expected {units}");
        AssertError(Assert.Throws<ConfigException>(() => Parse("s = lots").GetByteSize("s")), 1, 5,
            $"invalid value for 's': 'lots' is not a size in bytes: expected a number followed by an optional unit ({units})");
        AssertError(Assert.Throws<ConfigException>(() => Parse("s = 1.5B").GetByteSize("s")), 1, 5,
            "invalid value for 's': '1.5B' is not a whole number of bytes");
        AssertError(Assert.Throws<ConfigException>(() => Parse("s = 9 ZiB").GetByteSize("s")), 1, 5,
            "invalid value for 's': '9 ZiB' is out of range for a size in bytes");
        AssertError(Assert.Throws<ConfigException>(() => Parse("s = [1]").GetByteSize("s")), 1, 5,
            "'s' has type array, expected a size in bytes");
    }
}
