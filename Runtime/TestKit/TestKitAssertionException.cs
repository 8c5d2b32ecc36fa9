namespace IommuSim.TestKit;

/// <summary>A test kit expectation failed (xunit reports it as a test failure).</summary>
public sealed class TestKitAssertionException(string message) : Xunit.Sdk.XunitException(message);
