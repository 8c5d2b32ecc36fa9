using IommuSim.Simulator.Reports;
using Microsoft.Playwright;
using Xunit;

namespace IommuSim.Simulator.Tests.Reports;

/// <summary>
/// Opens the HTML report of <see cref="SyntheticReports"/> in headless Chromium and checks that
/// every chart is drawn: the svg has a size, each bucket, lane, span and point is there with a
/// size, points sit where their values say, and the page logs no error and requests nothing but
/// itself.
/// </summary>
public sealed class HtmlReportBrowserTests(HeadlessChromium chromium) : IClassFixture<HeadlessChromium>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("iommusim-html-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A getBoundingClientRect() in CSS pixels (Playwright fills it through its setters).</summary>
    private sealed record Box
    {
        public double X { get; init; }

        public double Y { get; init; }

        public double Width { get; init; }

        public double Height { get; init; }
    }

    private sealed record OpenPage(IPage Page, List<string> Errors, List<string> Requests);

    private async Task<OpenPage> Open(RunReport report, string name)
    {
        var path = Path.Combine(_dir, name + ".html");
        await using (var w = new StreamWriter(path)) HtmlReport.Write(report, w);
        var page = await chromium.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1000, Height = 900 } });
        var errors = new List<string>();
        var requests = new List<string>();
        page.Console += (_, m) => { if (m.Type is "error" or "warning") errors.Add($"{m.Type}: {m.Text}"); };
        page.PageError += (_, e) => errors.Add("page error: " + e);
        page.Request += (_, r) => requests.Add(r.Url);
        var response = await page.GotoAsync(new Uri(path).AbsoluteUri, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
        Assert.NotNull(response);
        return new OpenPage(page, errors, requests);
    }

    private static async Task<Box[]> Boxes(IPage page, string selector) =>
        await page.EvalOnSelectorAllAsync<Box[]>(selector,
            "els => els.map(e => { const r = e.getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; })");

    private static async Task<Box> SvgBox(IPage page, string chart)
    {
        var boxes = await Boxes(page, $"svg[data-chart='{chart}']");
        var box = Assert.Single(boxes);
        Assert.True(box.Width > 100 && box.Height > 50, $"{chart}: svg box {box}");
        return box;
    }

    private static bool Inside(Box inner, Box outer) =>
        inner.X >= outer.X - 0.5 && inner.Y >= outer.Y - 0.5 && inner.X + inner.Width <= outer.X + outer.Width + 0.5 && inner.Y + inner.Height <= outer.Y + outer.Height + 0.5;

    [Fact]
    public async Task Every_chart_is_drawn_with_its_bars_lanes_spans_and_points()
    {
        var (page, errors, requests) = await Open(SyntheticReports.Full(), "full");
        try
        {
            // Latency histograms: one bar per bucket, and a bar with a height exactly where there are samples.
            var fault = await SvgBox(page, "fault-latency");
            var faultBars = await Boxes(page, "svg[data-chart='fault-latency'] rect.bar");
            Assert.Equal(SyntheticReports.FaultBucketCounts.Length, faultBars.Length);
            Assert.Equal(SyntheticReports.FaultBucketCounts.Select(c => c > 0), faultBars.Select(b => b.Height > 0));
            Assert.All(faultBars, b => Assert.True(b.Width > 0 && Inside(b, fault), $"bar {b} in {fault}"));
            // Two samples draw a bar twice as tall as one.
            Assert.Equal(2 * faultBars[1].Height, faultBars[0].Height, 1);

            var inval = await SvgBox(page, "invalidation-latency");
            var invalBars = await Boxes(page, "svg[data-chart='invalidation-latency'] rect.bar");
            Assert.Equal(SyntheticReports.InvalidationBuckets, invalBars.Length);
            Assert.Equal(SyntheticReports.InvalidationLatencies.Length, invalBars.Count(b => b.Height > 0));
            Assert.All(invalBars, b => Assert.True(Inside(b, inval)));

            // Timeline: a lane per actor, a span per event, a legend entry per kind.
            var timeline = await SvgBox(page, "timeline");
            var lanes = await Boxes(page, "svg[data-chart='timeline'] g.lane");
            Assert.Equal(SyntheticReports.TimelineLanes, lanes.Length);
            Assert.All(lanes, l => Assert.True(l.Width > 0 && l.Height > 0 && Inside(l, timeline)));
            var spans = await Boxes(page, "svg[data-chart='timeline'] rect.span");
            Assert.Equal(SyntheticReports.Timeline.Length, spans.Length);
            Assert.All(spans, s => Assert.True(s.Width >= 1 && s.Height > 0 && Inside(s, timeline), $"span {s}"));
            Assert.Equal(3, await page.Locator("ul[data-chart-legend='timeline'] li").CountAsync());
            // Spans are coloured by kind: the two faults share a fill that the invalidations do not have.
            var fills = await page.EvalOnSelectorAllAsync<string[]>("svg[data-chart='timeline'] rect.span", "els => els.map(e => e.dataset.kind + '=' + getComputedStyle(e).fill)");
            Assert.Equal(3, fills.Distinct().Count());
            Assert.Equal(3, fills.Select(f => f[(f.IndexOf('=') + 1)..]).Distinct().Count());

            // Hit rate: one point per interval with lookups, higher on screen for a higher rate.
            var rate = await SvgBox(page, "iotlb-hit-rate");
            var points = await Boxes(page, "svg[data-chart='iotlb-hit-rate'] circle.point");
            Assert.Equal(SyntheticReports.IotlbRates.Length, points.Length);
            Assert.All(points, p => Assert.True(p.Width > 0 && Inside(p, rate)));
            var byHeight = points.Select((p, i) => (Y: p.Y, Rate: SyntheticReports.IotlbRates[i])).OrderBy(p => p.Y).Select(p => p.Rate);
            Assert.Equal(SyntheticReports.IotlbRates.OrderDescending(), byHeight);
            Assert.Equal(1, (await Boxes(page, "svg[data-chart='iotlb-hit-rate'] path.rate")).Count(b => b.Width > 0 && b.Height > 0));

            Assert.Empty(errors);
            Assert.Equal([page.Url], requests);
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    [Fact]
    public async Task Empty_series_show_a_visible_no_data_note_and_no_chart()
    {
        var (page, errors, requests) = await Open(SyntheticReports.Empty(), "empty");
        try
        {
            Assert.Equal(0, await page.Locator("svg").CountAsync());
            var notes = await Boxes(page, "p.no-data[data-chart]");
            Assert.Equal(4, notes.Length);
            Assert.All(notes, n => Assert.True(n.Width > 0 && n.Height > 0));
            Assert.Empty(errors);
            Assert.Equal([page.Url], requests);
        }
        finally
        {
            await page.CloseAsync();
        }
    }
}
