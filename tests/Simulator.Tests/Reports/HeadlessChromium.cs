using Microsoft.Playwright;
using Xunit;

namespace IommuSim.Simulator.Tests.Reports;

/// <summary>
/// Debian's Chromium (/usr/bin/chromium, which ./test.sh installs) driven by Playwright, one browser
/// for a test class. Playwright's driver (node and its JS package) ships inside the NuGet package
/// and is copied next to the test assembly at build time; no browser is downloaded
/// ("playwright install" is never run) because the launch names the executable.
/// </summary>
public sealed class HeadlessChromium : IAsyncLifetime
{
    public const string Executable = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Executable))
            throw new InvalidOperationException($"{Executable} is missing: run ./test.sh, which installs Debian's chromium, or `apt-get install chromium`.");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Executable,
            Headless = true,
            // As root there is no sandbox; the network flags stop Chromium from calling home on a
            // machine whose only network is the package registries (and keep failed lookups out of the log).
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
    }
}
