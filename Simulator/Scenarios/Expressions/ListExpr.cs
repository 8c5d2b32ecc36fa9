using IommuSim.Runtime.Configuration;

namespace IommuSim.Simulator.Scenarios.Expressions;

/// <summary>
/// A list of numbers (the values written to or read from consecutive pages, snapshot bytes):
/// a HOCON list whose items are expressions, ranges <c>"0..63"</c> (inclusive) or repeats
/// <c>"32 x 0"</c>; a single range or repeat may stand without brackets.
/// </summary>
public sealed class ListExpr
{
    private readonly IReadOnlyList<Item> _items;

    private ListExpr(IReadOnlyList<Item> items, ConfigPosition? position)
    {
        _items = items;
        Position = position;
    }

    public ConfigPosition? Position { get; }

    private abstract record Item;
    private sealed record Single(Expr Value) : Item;
    private sealed record Range(Expr From, Expr To) : Item;
    private sealed record Repeat(Expr Count, Expr Value) : Item;

    /// <summary>Most elements a list may have (a guard against "0..2^64").</summary>
    public const int MaxElements = 1 << 22;

    public ulong[] Evaluate(IExprScope scope)
    {
        var result = new List<ulong>();
        foreach (var item in _items)
        {
            switch (item)
            {
                case Single s:
                    result.Add(s.Value.Evaluate(scope));
                    break;
                case Range r:
                {
                    var from = r.From.Evaluate(scope);
                    var to = r.To.Evaluate(scope);
                    if (to < from || to - from >= MaxElements) throw new ScenarioRuntimeException($"range {from}..{to} is empty or longer than {MaxElements}");
                    for (var v = from; ; v++)
                    {
                        result.Add(v);
                        if (v == to) break;
                    }
                    break;
                }
                case Repeat r:
                {
                    var count = r.Count.Evaluate(scope);
                    if (count > MaxElements) throw new ScenarioRuntimeException($"repeat count {count} is larger than {MaxElements}");
                    var value = r.Value.Evaluate(scope);
                    for (ulong k = 0; k < count; k++) result.Add(value);
                    break;
                }
            }
            if (result.Count > MaxElements) throw new ScenarioRuntimeException($"a list longer than {MaxElements}");
        }
        return [.. result];
    }

    public static ListExpr? Parse(ConfigValue value, ExprContext ctx)
    {
        var items = new List<Item>();
        var ok = true;
        if (value is ConfigArray array)
        {
            foreach (var element in array) ok &= ParseItem(element, ctx, items);
        }
        else
        {
            ok = ParseItem(value, ctx, items);
        }
        return ok ? new ListExpr(items, value.Position) : null;
    }

    private static bool ParseItem(ConfigValue element, ExprContext ctx, List<Item> items)
    {
        if (element is ConfigString s)
        {
            var text = s.Value;
            var dots = text.IndexOf("..", StringComparison.Ordinal);
            if (dots > 0)
            {
                var from = ExprParser.Parse(text[..dots], s.Position, ctx);
                var to = ExprParser.Parse(text[(dots + 2)..], s.Position, ctx);
                if (from is null || to is null) return false;
                items.Add(new Range(from, to));
                return true;
            }
            var x = text.IndexOf(" x ", StringComparison.Ordinal);
            if (x > 0)
            {
                var count = ExprParser.Parse(text[..x], s.Position, ctx);
                var v = ExprParser.Parse(text[(x + 3)..], s.Position, ctx);
                if (count is null || v is null) return false;
                items.Add(new Repeat(count, v));
                return true;
            }
        }
        var e = ExprParser.Parse(element, ctx);
        if (e is null) return false;
        items.Add(new Single(e));
        return true;
    }
}
