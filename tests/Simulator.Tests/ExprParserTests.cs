using IommuSim.Simulator.Scenarios;
using IommuSim.Simulator.Scenarios.Expressions;
using Xunit;

namespace IommuSim.Simulator.Tests;

/// <summary>The integer expressions of scenario files: numbers with units, names, operators, functions, errors.</summary>
public sealed class ExprParserTests
{
    private sealed class Scope : IExprScope
    {
        public ulong Lookup(string name, string? field) => (name, field) switch
        {
            ("buf", null) => 0x10_0000,
            ("s", "resident-pages") => 7,
            _ => throw new ScenarioRuntimeException($"no {name}.{field}"),
        };

        public ulong Index(string name, ulong index) => 100 + index;
        public ulong Random(ulong lo, ulong hi) => lo;
        public ulong IovaOf(string mirror, ulong address) => 0xffff_0000 + (address & 0xfff);
    }

    private static (Expr? Expr, Diagnostics Diagnostics) Parse(string text)
    {
        var symbols = new Symbols();
        symbols.Bind("buf", ValueShape.Number);
        symbols.Bind("s", ValueShape.Record(["resident-pages", "vmas"]));
        symbols.Bind("vals", ValueShape.List);
        symbols.Declare("mirror", "m0", null);
        var diagnostics = new Diagnostics();
        return (ExprParser.Parse(text, null, new ExprContext(symbols, diagnostics, "test")), diagnostics);
    }

    private static ulong Value(string text)
    {
        var (e, d) = Parse(text);
        Assert.False(d.HasErrors, string.Join("; ", d.Errors));
        return e!.Evaluate(new Scope());
    }

    [Theory]
    [InlineData("4096", 4096UL)]
    [InlineData("0x1000", 0x1000UL)]
    [InlineData("0x10_0020_0000", 0x10_0020_0000UL)]
    [InlineData("4KiB", 4096UL)]
    [InlineData("2MiB - 32 pages", (2UL << 20) - 32 * 4096)]
    [InlineData("1 page", 4096UL)]
    [InlineData("3 * 4 + 2", 14UL)]
    [InlineData("(1 + 2) * 3", 9UL)]
    [InlineData("17 / 5 + 17 % 5", 5UL)]
    [InlineData("0x10 | 0x1", 0x11UL)]
    [InlineData("0 - 1", ulong.MaxValue)]
    [InlineData("buf + 4 pages", 0x10_4000UL)]
    [InlineData("buf-1", 0xF_FFFFUL)]
    [InlineData("s.resident-pages * 2", 14UL)]
    [InlineData("vals[2]", 102UL)]
    [InlineData("iova(m0, buf + 0x10)", 0xffff_0010UL)]
    [InlineData("random(5, 9)", 5UL)]
    [InlineData("max(3, min(8, 4))", 4UL)]
    public void Evaluates(string text, ulong expected) => Assert.Equal(expected, Value(text));

    [Fact]
    public void Constant_expressions_are_folded_when_read()
    {
        var (e, _) = Parse("2MiB + 4KiB");
        Assert.True(e!.IsConstant);
        Assert.IsType<NumberExpr>(e);
        Assert.True(ExprParser.TryParseSize("16 pages", out var bytes));
        Assert.Equal(65536UL, bytes);
        Assert.False(ExprParser.TryParseSize("buf", out _));
    }

    [Theory]
    [InlineData("4 parsecs", "unknown unit 'parsecs'")]
    [InlineData("1 +", "expected a number or a name")]
    [InlineData("(1 + 2", "expected ')'")]
    [InlineData("nosuch(1)", "unknown function 'nosuch'")]
    [InlineData("random(1)", "random() takes 2 arguments, not 1")]
    [InlineData("iova(m9, 0)", "unknown mirror 'm9' (declared: m0)")]
    [InlineData("0x1ffffffffffffffffff", "is not a 64-bit hexadecimal number")]
    [InlineData("99999999999 GiB", "does not fit in 64 bits")]
    [InlineData("pages", "'pages' is a unit")]
    [InlineData("bof + 1", "unknown name 'bof' (bound so far: buf, s, vals)")]
    [InlineData("s.nothing", "'s' has no field 'nothing'")]
    [InlineData("buf[1]", "'buf' is a number, not a list")]
    [InlineData("vals", "'vals' is a list: use vals[i]")]
    [InlineData("1 $ 2", "unexpected '$ 2'")]
    public void Reports_what_is_wrong(string text, string message)
    {
        var (e, d) = Parse(text);
        Assert.Null(e);
        var error = Assert.Single(d.Errors);
        Assert.Contains(message, error.Message);
        Assert.Contains($"in \"{text}\"", error.Message);
    }

    [Fact]
    public void Division_by_zero_is_a_run_time_error_of_the_step()
    {
        var (e, _) = Parse("buf / (buf - buf)");
        Assert.Throws<ScenarioRuntimeException>(() => e!.Evaluate(new Scope()));
    }

    [Fact]
    public void Lists_hold_values_ranges_and_repeats()
    {
        var d = new Diagnostics();
        var list = ListExpr.Parse(Runtime.Configuration.ConfigurationFactory.ParseString("v = [\"2 x 0\", \"3..5\", 9, \"buf\"]").Root["v"],
            new ExprContext(new Symbols(), d, "test"));
        Assert.Null(list);
        Assert.Contains("unknown name 'buf'", Assert.Single(d.Errors).Message);
        list = ListExpr.Parse(Runtime.Configuration.ConfigurationFactory.ParseString("v = [\"2 x 0\", \"3..5\", 9]").Root["v"],
            new ExprContext(new Symbols(), d, "test"));
        Assert.Equal([0UL, 0, 3, 4, 5, 9], list!.Evaluate(new Scope()));
    }
}
