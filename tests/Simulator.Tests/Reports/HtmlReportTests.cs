using System.Text.RegularExpressions;
using IommuSim.Simulator.Reports;
using Xunit;

namespace IommuSim.Simulator.Tests.Reports;

public sealed partial class HtmlReportTests
{
    internal static string Render(RunReport report)
    {
        var w = new StringWriter();
        HtmlReport.Write(report, w);
        return w.ToString();
    }

    /// <summary>The data-* attributes of the svg whose data-chart is <paramref name="chart"/>.</summary>
    private static Dictionary<string, string> SvgData(string html, string chart)
    {
        var tag = Regex.Match(html, $"<svg [^>]*data-chart=\"{chart}\"[^>]*>").Value;
        Assert.NotEqual("", tag);
        return DataAttribute().Matches(tag).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
    }

    [GeneratedRegex("data-([a-z-]+)=\"([^\"]*)\"")]
    private static partial Regex DataAttribute();

    [Fact]
    public void Each_chart_carries_its_name_and_counts()
    {
        var html = Render(SyntheticReports.Full());
        Assert.Equal("10", SvgData(html, "fault-latency")["points"]);
        Assert.Equal("14", SvgData(html, "fault-latency")["bars"]);
        Assert.Equal("5", SvgData(html, "invalidation-latency")["points"]);
        Assert.Equal("21", SvgData(html, "invalidation-latency")["bars"]);
        Assert.Equal(("6", "3", "6"), (SvgData(html, "timeline")["points"], SvgData(html, "timeline")["lanes"], SvgData(html, "timeline")["spans"]));
        Assert.Equal(("4", "5"), (SvgData(html, "iotlb-hit-rate")["points"], SvgData(html, "iotlb-hit-rate")["samples"]));
        Assert.DoesNotContain("class=\"no-data\" data-chart", html);
    }

    [Fact]
    public void The_page_loads_nothing_from_outside()
    {
        var html = Render(SyntheticReports.Full());
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Content-Security-Policy\" content=\"default-src 'none'", html);
    }

    [Fact]
    public void The_summary_metrics_violations_and_failed_expectations_are_on_the_page()
    {
        var report = SyntheticReports.Full();
        var html = Render(report);
        foreach (var (field, value) in SummaryRows.Run(report).Concat(SummaryRows.Metrics(report)))
            Assert.Contains($"<tr><th scope=\"row\">{field}</th><td>{value}</td></tr>", html);
        Assert.Contains("<h3>no-dma-after-unmap</h3>", html);
        Assert.Contains("<li><code>mm:1 &lt;- Munmap(0x5000)</code></li>", html);
        Assert.Contains("<td><code>scenarios/race.conf:12:5</code></td><td>step 3 (mmap)</td><td><code>errno = EINVAL</code></td><td class=\"actual\"><code>errno = 0</code></td>", html);
        Assert.Contains("class=\"status failed\">FAILED: 1 violation, 1 failed expectation<", html);
    }

    [Fact]
    public void Empty_series_get_a_no_data_note_instead_of_a_chart()
    {
        var html = Render(SyntheticReports.Empty());
        Assert.DoesNotContain("<svg", html);
        foreach (var chart in new[] { "fault-latency", "invalidation-latency", "timeline", "iotlb-hit-rate" })
            Assert.Matches($"<p class=\"no-data\" data-chart=\"{chart}\" data-points=\"0\">No data: [^<]+</p>", html);
        Assert.Contains("The run reported no metrics.", html);
        Assert.Contains("No invariant was violated.", html);
        Assert.Contains("class=\"status ok\">OK<", html);

        // Samples without any lookup between them are no data either.
        var idle = SyntheticReports.Empty() with { Series = RunSeries.Empty with { Iotlb = [new IotlbSample(100, 0, 0), new IotlbSample(200, 0, 0)] } };
        Assert.Contains("data-chart=\"iotlb-hit-rate\" data-points=\"0\">No data: no IOTLB lookups between the samples.", Render(idle));
    }

    [Fact]
    public void Every_string_from_the_report_is_escaped()
    {
        const string evil = "<script>alert(\"x\")</script><img src=x onerror='y'>&";
        const string escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;y&#39;&gt;&amp;";
        var report = SyntheticReports.Full() with
        {
            Scenario = evil,
            Dispatcher = evil,
            Metrics = new Dictionary<string, double> { [evil] = 1 },
            Violations = [new ViolationReport(evil, evil, evil, [evil], [evil], 1, [evil])],
            Expectations = new ExpectationResults(0, 1, [new ExpectationFailure(evil, evil, evil, evil)]),
            Series = SyntheticReports.Full().Series with { Timeline = [new TimelineEvent(0, 10, evil, evil, evil)] },
        };
        var html = Render(report);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("onerror='", html);
        // Title, h1, summary (2), metric, violation (invariant, step, message, actors, pages, last event),
        // failure (4), timeline (lane data-actor, label + its title, kind attribute, legend, tooltip).
        Assert.True(Regex.Matches(html, Regex.Escape(escaped)).Count >= 20, html);
    }
}
