using IommuSim.Messages;
using IommuSim.Runtime.Configuration;
using IommuSim.Simulator.Scenarios.Expressions;
using IommuSim.Simulator.Scenarios.Reading;

namespace IommuSim.Simulator.Scenarios.Expectations;

/// <summary>
/// The <c>expect { }</c> block of a step: the errno (success unless it says otherwise) and the
/// values the step's kind can check (values read back, counters, addresses), each a number, a
/// bound <c>{ at-least = N }</c>, a list or <c>any</c>. Values are checked only when the call
/// succeeded; a step without a block must succeed.
/// </summary>
public sealed class ExpectBlock
{
    public static readonly ExpectBlock Default = new(null, ErrnoMatcher.Success, new Dictionary<string, Matcher>());

    private ExpectBlock(ConfigPosition? position, ErrnoMatcher errno, IReadOnlyDictionary<string, Matcher> checks)
    {
        Position = position;
        Errno = errno;
        Checks = checks;
    }

    /// <summary>Where the block was written (the step's position when it has none).</summary>
    public ConfigPosition? Position { get; }

    public ErrnoMatcher Errno { get; }

    /// <summary>The value expectations by key, in file order.</summary>
    public IReadOnlyDictionary<string, Matcher> Checks { get; }

    public bool IsEmpty => Checks.Count == 0;

    /// <summary>Reads the step's <c>expect</c> key; <paramref name="keys"/> are what this kind of step can check besides errno.</summary>
    public static ExpectBlock Read(ObjectReader step, IReadOnlyDictionary<string, ExpectType> keys, Symbols symbols, IReadOnlyDictionary<string, ulong>? constants = null)
    {
        var block = step.Object("expect", $"{step.What} expect");
        if (block is null) return Default;
        var ctx = new ExprContext(symbols, block.Diagnostics, block.What) { Constants = constants };
        var errno = block.Value("errno") is { } ev ? ReadErrno(ev, block) : ErrnoMatcher.Success;
        var checks = new Dictionary<string, Matcher>(StringComparer.Ordinal);
        foreach (var key in block.Keys)
        {
            if (key == "errno") continue;
            if (!keys.TryGetValue(key, out var type)) continue; // reported as unknown below
            var value = block.Value(key)!;
            var matcher = type == ExpectType.List ? ReadList(value, ctx) : ReadNumber(value, block, key, ctx);
            if (matcher is not null) checks[key] = matcher;
        }
        block.Allow([.. keys.Keys]);
        block.CheckUnknownKeys();
        return new ExpectBlock(block.Position ?? step.Position, errno, checks);
    }

    private static Matcher? ReadList(ConfigValue value, ExprContext ctx)
    {
        if (value is ConfigString { Value: "any" }) return new AnyMatcher { Position = value.Position };
        return ListExpr.Parse(value, ctx) is { } list ? new ListMatcher(list) { Position = value.Position } : null;
    }

    private static Matcher? ReadNumber(ConfigValue value, ObjectReader block, string key, ExprContext ctx)
    {
        if (value is ConfigString { Value: "any" }) return new AnyMatcher { Position = value.Position };
        if (value is not ConfigObject)
            return ExprParser.Parse(value, ctx) is { } e ? new NumberMatcher([("equals", e)]) { Position = value.Position } : null;
        var bounds = block.Object(key, $"{block.What} {key}")!;
        var tests = new List<(string, Expr)>();
        foreach (var op in bounds.Keys)
        {
            if (!NumberMatcher.Operators.Contains(op)) continue;
            if (ExprParser.Parse(bounds.Value(op)!, ctx with { What = bounds.What }) is { } e) tests.Add((op, e));
        }
        bounds.Allow([.. NumberMatcher.Operators]);
        bounds.CheckUnknownKeys();
        if (tests.Count == 0 && !bounds.Diagnostics.HasErrors) bounds.Error(bounds.Position, $"give at least one of {string.Join(", ", NumberMatcher.Operators)}");
        return new NumberMatcher(tests) { Position = value.Position };
    }

    private static ErrnoMatcher ReadErrno(ConfigValue value, ObjectReader block)
    {
        if (value is ConfigString { Value: "any" }) return ErrnoMatcher.Any;
        var items = value is ConfigArray a ? a.ToList() : [value];
        var allowed = new HashSet<Errno>();
        foreach (var item in items)
        {
            var text = item switch
            {
                ConfigString s => s.Value,
                ConfigNumber n => n.Text,
                _ => null,
            };
            if (text is "none" or "ok" or "success" or "0")
            {
                allowed.Add(Messages.Errno.None);
                continue;
            }
            if (text is not null && ErrnoExtensions.TryParse(text, out var errno))
            {
                allowed.Add(errno);
                continue;
            }
            block.Error(item.Position, $"'errno' holds {ObjectReader.Describe(item)}, expected an errno name such as EINVAL, none (success), a list of them, or any");
        }
        return new ErrnoMatcher(allowed) { Position = value.Position };
    }
}
