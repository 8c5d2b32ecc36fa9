using IommuSim.Simulator.Reports;
using Xunit;

namespace IommuSim.Simulator.Tests.Reports;

public sealed class SummaryTableTests
{
    private static string Render(RunReport report, bool ansi)
    {
        var w = new StringWriter();
        SummaryTable.Write(report, w, ansi);
        return w.ToString();
    }

    // Spectre.Console's table borders and any other box-drawing character.
    private static bool HasBoxCharacters(string s) => s.Any(c => c is >= '\u2500' and <= '\u257F');

    [Fact]
    public void The_plain_table_has_no_escape_codes_nor_box_characters_and_aligns_its_values()
    {
        var text = Render(SyntheticReports.Full(), ansi: false);
        Assert.DoesNotContain('\x1b', text);
        Assert.False(HasBoxCharacters(text));
        var lines = text.Split('\n');
        Assert.Contains("  scenario             munmap-vs-fault-race", lines);
        Assert.Contains("  seed                 42", lines);
        Assert.Contains("  dispatcher           deterministic", lines);
        Assert.Contains("  simulated time       100 µs", lines);
        Assert.Contains("  wall time            250 ms", lines);
        Assert.Contains("  events               1,000,000", lines);
        Assert.Contains("  events/s             4,000,000", lines);
        Assert.Contains("  trace hash           0123456789abcdef", lines);
        Assert.Contains("  violations           1", lines);
        Assert.Contains("  expectations passed  5", lines);
        Assert.Contains("  expectations failed  1", lines);
        Assert.Contains("  fault_latency_p50_ns  1.2 µs", lines);
        Assert.Contains("  fault_latency_p99_ns  2 ms", lines);
        Assert.Contains("  iotlb_hit_rate        60.0 %", lines);
        Assert.Contains("  migration_rounds      3", lines);
        Assert.Equal("FAILED: 1 violation, 1 failed expectation", lines[^2]);
    }

    [Fact]
    public void The_plain_table_lists_violations_with_their_last_events_and_failed_expectations()
    {
        var text = Render(SyntheticReports.Full(), ansi: false);
        string[] inOrder =
        [
            "violations (1)", "no-dma-after-unmap", "step     step 7 (munmap)", "message  device dma:0 wrote page 0x5000",
            "actors   dma:0, mm:1", "pages    0x5000", "last events", "mm:1 <- Munmap(0x5000)", "dma:0 <- DmaWrite(0x5000)",
            "failed expectations (1)", "scenarios/race.conf:12:5", "step      step 3 (mmap)", "expected  errno = EINVAL", "actual    errno = 0",
        ];
        var at = 0;
        foreach (var part in inOrder)
        {
            var next = text.IndexOf(part, at, StringComparison.Ordinal);
            Assert.True(next >= 0, $"'{part}' missing after offset {at} in:\n{text}");
            at = next + part.Length;
        }
    }

    [Fact]
    public void Control_characters_in_report_strings_are_written_as_escapes()
    {
        var report = SyntheticReports.Full() with { Scenario = "evil\x1b[31mred\nsecond line", Dispatcher = "bell\a" };
        var plain = Render(report, ansi: false);
        Assert.DoesNotContain('\x1b', plain);
        Assert.DoesNotContain('\a', plain);
        Assert.Contains("iommusim run: evil\\x1B[31mred\\nsecond line", plain);

        // In the ANSI table the only escape codes are Spectre's own: the scenario's ESC is shown, not sent.
        var ansi = Render(report, ansi: true);
        Assert.Contains("evil\\x1B[31mred\\nsecond", ansi);
        Assert.DoesNotContain("evil\x1b", ansi);
    }

    [Fact]
    public void The_ansi_table_colours_its_output_and_contains_every_field_and_metric()
    {
        var report = SyntheticReports.Full();
        var text = Render(report, ansi: true);
        Assert.Contains("\x1b[", text);
        Assert.True(HasBoxCharacters(text));
        foreach (var (field, value) in SummaryRows.Run(report))
        {
            Assert.Contains(field, text);
            Assert.Contains(value, text);
        }
        foreach (var (name, value) in report.Metrics)
        {
            Assert.Contains(name, text);
            Assert.Contains(ReportFormat.Metric(name, value), text);
        }
        Assert.Contains("no-dma-after-unmap", text);
        Assert.Contains("Munmap(0x5000)", text);
        Assert.Contains("scenarios/race.conf:12:5", text);
        Assert.Contains("errno = EINVAL", text);
        Assert.Contains("FAILED: 1 violation, 1 failed expectation", text);
    }

    [Fact]
    public void Markup_in_report_strings_is_printed_not_interpreted()
    {
        var report = SyntheticReports.Empty() with { Scenario = "[red]not markup[/]", Metrics = new Dictionary<string, double> { ["[bold]m"] = 1 } };
        var text = Render(report, ansi: true);
        Assert.Contains("[red]not markup[/]", text);
        Assert.Contains("[bold]m", text);
    }

    [Fact]
    public void A_clean_run_without_metrics_says_OK_in_both_forms()
    {
        var plain = Render(SyntheticReports.Empty(), ansi: false);
        Assert.Contains("metrics: none", plain);
        Assert.Contains("  trace hash           none", plain);
        Assert.Contains("  events/s             n/a", plain);
        Assert.Contains("  simulated time       n/a (no virtual clock)", plain);
        Assert.DoesNotContain("violations (", plain);
        Assert.Equal("OK", plain.TrimEnd().Split('\n')[^1]);
        Assert.Contains("OK", Render(SyntheticReports.Empty(), ansi: true));
    }
}
