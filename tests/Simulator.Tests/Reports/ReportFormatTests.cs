using IommuSim.Simulator.Reports;
using IommuSim.Simulator.Reports.Html;
using Xunit;

namespace IommuSim.Simulator.Tests.Reports;

public sealed class ReportFormatTests
{
    [Theory]
    [InlineData(0, "0 ns")]
    [InlineData(850, "850 ns")]
    [InlineData(1_000, "1 µs")]
    [InlineData(1_234, "1.23 µs")]
    [InlineData(12_345, "12.3 µs")]
    [InlineData(123_456, "123 µs")]
    [InlineData(2_500_000, "2.5 ms")]
    [InlineData(4e9, "4 s")]
    [InlineData(1_234e9, "1,234 s")]
    [InlineData(-1_500, "-1.5 µs")]
    public void Durations_are_written_in_the_largest_unit_with_three_significant_digits(double ns, string expected) =>
        Assert.Equal(expected, ReportFormat.Duration(ns));

    [Theory]
    [InlineData("invalidation_latency_p50_ns", 2_000, "2 µs")]
    [InlineData("iotlb_hit_rate", 0.975, "97.5 %")]
    [InlineData("dirty_ratio", 0.5, "50.0 %")]
    [InlineData("iotlb_hit_rate", 3, "3")]
    [InlineData("dma_bytes_per_s", 1_500_000, "1,500,000 /s")]
    [InlineData("migration_rounds", 12, "12")]
    [InlineData("convergence", 0.125, "0.125")]
    public void Metrics_are_formatted_by_their_unit_suffix(string name, double value, string expected) =>
        Assert.Equal(expected, ReportFormat.Metric(name, value));

    [Fact]
    public void Hostile_strings_are_html_escaped_for_text_and_attributes()
    {
        Assert.Equal("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", HtmlText.Escape("<script>alert('x')</script>"));
        Assert.Equal("&quot; onmouseover=&quot;x&quot; &amp;amp;", HtmlText.Escape("\" onmouseover=\"x\" &amp;"));
        Assert.Equal("a\uFFFDb\uFFFDc\td\ne", HtmlText.Escape("a\0b\u001bc\td\ne"));
        Assert.Equal("plain µs text", HtmlText.Escape("plain µs text"));
    }
}
