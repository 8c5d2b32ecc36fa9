using System.Globalization;
using IommuSim.Runtime.Configuration;

namespace IommuSim.TestKit;

/// <summary>The <c>akka.test</c> section: default timeouts and the time factor for slow machines.</summary>
public sealed class TestKitSettings
{
    public TestKitSettings(Config config)
    {
        var test = config.GetConfig("akka.test");
        TimeFactor = test.GetDouble("timefactor", 1.0);
        // The environment variable wins so that a CI job can slow every test down without a config file.
        if (Environment.GetEnvironmentVariable("IOMMUSIM_TEST_TIMEFACTOR") is { Length: > 0 } env &&
            double.TryParse(env, NumberStyles.Float, CultureInfo.InvariantCulture, out var f))
            TimeFactor = f;
        if (TimeFactor <= 0 || double.IsNaN(TimeFactor))
            throw new ConfigException(test.PositionOf("timefactor"), $"akka.test.timefactor must be positive, got {TimeFactor}");
        SingleExpectDefault = test.GetTimeSpan("single-expect-default", TimeSpan.FromSeconds(3));
        ExpectNoMessageDefault = test.GetTimeSpan("expect-no-message-default", TimeSpan.FromMilliseconds(100));
        DefaultTimeout = test.GetTimeSpan("default-timeout", TimeSpan.FromSeconds(5));
        AwaitAssertInterval = test.GetTimeSpan("await-assert-interval", TimeSpan.FromMilliseconds(50));
    }

    public double TimeFactor { get; }
    public TimeSpan SingleExpectDefault { get; }
    public TimeSpan ExpectNoMessageDefault { get; }
    public TimeSpan DefaultTimeout { get; }
    public TimeSpan AwaitAssertInterval { get; }
}
