namespace IommuSim.Simulator.Reports.Html;

/// <summary>The report's only stylesheet, inline; <c>k0</c>..<c>k7</c> are the timeline's kind colours (<see cref="Svg.TimelineChart.Palette"/>).</summary>
internal static class ReportStyle
{
    public const string Css = """
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2430; margin: 0 auto; padding: 1.5em; max-width: 960px; }
        h1 { font-size: 1.5em; margin: 0 0 .2em; }
        h2 { font-size: 1.2em; border-bottom: 1px solid #d6dbe3; padding-bottom: .2em; margin-top: 1.6em; }
        h3 { font-size: 1em; margin: 1em 0 .4em; }
        code { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
        .status { font-weight: 600; padding: .4em .7em; border-radius: 4px; display: inline-block; }
        .status.ok { background: #e3f5e8; color: #17652e; }
        .status.failed { background: #fde6e6; color: #9d1c1c; }
        table { border-collapse: collapse; }
        table.kv th { text-align: left; font-weight: 500; color: #555f6e; padding: 2px 1.5em 2px 0; vertical-align: top; }
        table.kv td { font-variant-numeric: tabular-nums; padding: 2px 0; word-break: break-word; }
        table.grid th, table.grid td { border: 1px solid #d6dbe3; padding: 3px 8px; text-align: left; vertical-align: top; }
        table.grid td.actual { color: #9d1c1c; }
        .violation { border-left: 4px solid #c62828; padding: .1em 0 .4em 1em; margin: 1em 0; }
        .violation h3 { color: #9d1c1c; }
        ol.events { margin: .3em 0; padding-left: 2em; }
        .no-data, .none { color: #555f6e; font-style: italic; }
        figure.chart { margin: 1.2em 0; }
        figure.chart svg { max-width: 100%; height: auto; display: block; }
        figcaption { color: #555f6e; font-size: .9em; }
        svg text { font: 11px system-ui, sans-serif; fill: #1d2430; }
        svg .axis { stroke: #1d2430; stroke-width: 1; }
        svg .grid { stroke: #e6e9ee; stroke-width: 1; }
        svg .axis-title { font-weight: 600; fill: #555f6e; }
        svg .vertical { transform-box: fill-box; transform-origin: center; transform: rotate(-90deg); }
        svg .bar { fill: #3f72af; }
        svg .bar:hover, svg .span:hover, svg .point:hover { opacity: .7; }
        svg .lane-bg.even { fill: #f6f8fa; }
        svg .lane-bg.odd { fill: #ffffff; }
        svg .rate { fill: none; stroke: #3f72af; stroke-width: 2; }
        svg .point { fill: #3f72af; }
        svg .overall { stroke: #c62828; stroke-dasharray: 5 4; }
        svg .overall-label { fill: #c62828; }
        ul.legend { list-style: none; padding: 0; margin: .4em 0; display: flex; flex-wrap: wrap; gap: .4em 1.2em; }
        .swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: .35em; vertical-align: -1px; }
        .k0 { fill: #3f72af; background: #3f72af; }
        .k1 { fill: #c62828; background: #c62828; }
        .k2 { fill: #ef8a17; background: #ef8a17; }
        .k3 { fill: #7b4ea3; background: #7b4ea3; }
        .k4 { fill: #2e8b57; background: #2e8b57; }
        .k5 { fill: #8c6d31; background: #8c6d31; }
        .k6 { fill: #d45d9b; background: #d45d9b; }
        .k7 { fill: #4a5568; background: #4a5568; }
        """;
}
