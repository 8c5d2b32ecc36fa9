using System.Globalization;
using IommuSim.Messages;
using IommuSim.Runtime.Configuration;
using IommuSim.Simulator.Scenarios.Expressions;

namespace IommuSim.Simulator.Scenarios.Expectations;

/// <summary>What an expectation compares: one number, or a list of numbers.</summary>
public enum ExpectType
{
    Number,
    List,
}

/// <summary>One expectation of an <c>expect { }</c> block: does the actual value match, and if not, what was expected.</summary>
public abstract class Matcher
{
    public ConfigPosition? Position { get; init; }

    /// <summary>Null when <paramref name="actual"/> matches, else the expectation as text.</summary>
    public abstract string? Mismatch(object actual, IExprScope scope);

    public static string Show(object actual) => actual switch
    {
        ulong v => Number(v),
        IReadOnlyList<ulong> list => ShowList(list),
        Errno e => ErrnoMatcher.Name(e),
        _ => actual.ToString() ?? "",
    };

    public static string Number(ulong v) => v < 0x10000 ? v.ToString(CultureInfo.InvariantCulture) : "0x" + v.ToString("x", CultureInfo.InvariantCulture);

    public static string ShowList(IReadOnlyList<ulong> list)
    {
        const int Shown = 8;
        var head = string.Join(", ", list.Take(Shown).Select(Number));
        return list.Count <= Shown ? $"[{head}]" : $"[{head}, ... ({list.Count} values)]";
    }
}

/// <summary>Matches any value (<c>any</c>).</summary>
public sealed class AnyMatcher : Matcher
{
    public override string? Mismatch(object actual, IExprScope scope) => null;
}

/// <summary>A number equal to an expression, or within bounds: <c>{ at-least = 1, less-than = other.count }</c>.</summary>
public sealed class NumberMatcher(IReadOnlyList<(string Op, Expr Bound)> tests) : Matcher
{
    public static readonly IReadOnlyList<string> Operators = ["equals", "not", "at-least", "at-most", "greater-than", "less-than"];

    public override string? Mismatch(object actual, IExprScope scope)
    {
        if (actual is not ulong value) return $"a number (got {Show(actual)})";
        foreach (var (op, boundExpr) in tests)
        {
            var bound = boundExpr.Evaluate(scope);
            var ok = op switch
            {
                "equals" => value == bound,
                "not" => value != bound,
                "at-least" => value >= bound,
                "at-most" => value <= bound,
                "greater-than" => value > bound,
                "less-than" => value < bound,
                _ => false,
            };
            if (!ok) return Describe(scope);
        }
        return null;
    }

    private string Describe(IExprScope scope) => string.Join(" and ", tests.Select(t =>
        (t.Op == "equals" ? "" : t.Op + " ") + Number(t.Bound.Evaluate(scope)) + (t.Bound.IsConstant ? "" : $" ({t.Bound})")));
}

/// <summary>A list equal element by element to a <see cref="ListExpr"/>.</summary>
public sealed class ListMatcher(ListExpr expected) : Matcher
{
    public override string? Mismatch(object actual, IExprScope scope)
    {
        var want = expected.Evaluate(scope);
        if (actual is not IReadOnlyList<ulong> got) return $"the list {ShowList(want)} (got {Show(actual)})";
        if (got.Count != want.Length) return $"{want.Length} values {ShowList(want)} (got {got.Count})";
        for (var i = 0; i < want.Length; i++)
            if (got[i] != want[i]) return $"value {i} = {Number(want[i])} in {ShowList(want)} (got {Number(got[i])} there)";
        return null;
    }
}

/// <summary>The errno a call answers: one (<c>EINVAL</c>), several (<c>[none, EFAULT]</c>) or <c>any</c>; none means success.</summary>
public sealed class ErrnoMatcher(IReadOnlySet<Errno>? allowed) : Matcher
{
    /// <summary>The default of a step without <c>errno</c>: it must succeed.</summary>
    public static readonly ErrnoMatcher Success = new(new HashSet<Errno> { Errno.None });

    public static readonly ErrnoMatcher Any = new(null);

    /// <summary>True when success is among the allowed answers.</summary>
    public bool AllowsSuccess => allowed?.Contains(Errno.None) ?? true;

    /// <summary>True when only failures are allowed: the call must fail and (the kernel's rule) change nothing.</summary>
    public bool ExpectsFailure => allowed is { } a && !a.Contains(Errno.None);

    public override string? Mismatch(object actual, IExprScope scope)
    {
        if (allowed is null || actual is Errno e && allowed.Contains(e)) return null;
        return string.Join(" or ", allowed.Order().Select(Name));
    }

    public static string Name(Errno e) => e == Errno.None ? "success" : e.ToString();
}
