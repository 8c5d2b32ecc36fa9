using IommuSim.Runtime.Configuration;

namespace IommuSim.Simulator.Scenarios.Expressions;

/// <summary>
/// What an expression can read while a run goes on: the values earlier steps named (an mmap's
/// address, a stats record's counters, the values a read returned) and the run's services for
/// functions (its seeded random numbers, the IOVAs mirrors were given).
/// </summary>
public interface IExprScope
{
    /// <summary>The value bound to <paramref name="name"/> (a number), or its <paramref name="field"/> (a record).</summary>
    ulong Lookup(string name, string? field);

    /// <summary>Element <paramref name="index"/> of the list bound to <paramref name="name"/>.</summary>
    ulong Index(string name, ulong index);

    /// <summary>A number drawn uniformly from [lo, hi] with the run's seeded generator.</summary>
    ulong Random(ulong lo, ulong hi);

    /// <summary>The IOVA at which the device of <paramref name="mirror"/> reaches <paramref name="address"/> (learnt from its DMA).</summary>
    ulong IovaOf(string mirror, ulong address);
}

/// <summary>
/// An integer expression of a scenario file, evaluated when its step runs: numbers (decimal, 0x
/// hex, with a size unit: 4KiB, 2MiB, "16 pages"), names bound by earlier steps (<c>buf</c>,
/// <c>stats.resident-pages</c>, <c>vals[3]</c>), + - * / % | and functions (<c>iova(m0, buf)</c>,
/// <c>random(0, 63)</c>). Arithmetic wraps modulo 2^64, as C's unsigned long does.
/// </summary>
public abstract class Expr
{
    /// <summary>Where the expression was written.</summary>
    public ConfigPosition? Position { get; init; }

    public abstract ulong Evaluate(IExprScope scope);

    /// <summary>True when the value does not depend on the run (evaluated once, when read).</summary>
    public virtual bool IsConstant => false;

    public static Expr Constant(ulong value) => new NumberExpr(value);
}

/// <summary>A number, already scaled by its unit.</summary>
public sealed class NumberExpr(ulong value) : Expr
{
    public ulong Value { get; } = value;
    public override bool IsConstant => true;
    public override ulong Evaluate(IExprScope scope) => Value;
    public override string ToString() => Value < 4096 ? Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : "0x" + Value.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A name bound by an earlier step, or one field of the record it holds.</summary>
public sealed class NameExpr(string name, string? field) : Expr
{
    public string Name { get; } = name;
    public string? Field { get; } = field;
    public override ulong Evaluate(IExprScope scope) => scope.Lookup(Name, Field);
    public override string ToString() => Field is null ? Name : $"{Name}.{Field}";
}

/// <summary>One element of a list a step bound (the values a read returned).</summary>
public sealed class IndexExpr(string name, Expr index) : Expr
{
    public override ulong Evaluate(IExprScope scope) => scope.Index(name, index.Evaluate(scope));
    public override string ToString() => $"{name}[{index}]";
}

/// <summary>A name passed to a function that stands for a machine entity (a mirror, a device), not a value.</summary>
public sealed class EntityExpr(string kind, string name) : Expr
{
    public string Kind { get; } = kind;
    public string Name { get; } = name;
    public override ulong Evaluate(IExprScope scope) => throw new ScenarioRuntimeException($"{Kind} '{Name}' is not a number");
    public override string ToString() => Name;
}

public sealed class BinaryExpr(char op, Expr left, Expr right) : Expr
{
    public override bool IsConstant => left.IsConstant && right.IsConstant;

    public override ulong Evaluate(IExprScope scope)
    {
        var a = left.Evaluate(scope);
        var b = right.Evaluate(scope);
        return op switch
        {
            '+' => unchecked(a + b),
            '-' => unchecked(a - b),
            '*' => unchecked(a * b),
            '/' => b == 0 ? throw new ScenarioRuntimeException($"division by zero in {this}") : a / b,
            '%' => b == 0 ? throw new ScenarioRuntimeException($"division by zero in {this}") : a % b,
            '|' => a | b,
            _ => throw new InvalidOperationException($"unknown operator {op}"),
        };
    }

    public override string ToString() => $"({left} {op} {right})";
}

public sealed class CallExpr(ExprFunction function, IReadOnlyList<Expr> args) : Expr
{
    public override ulong Evaluate(IExprScope scope) => function.Evaluate(scope, args);
    public override string ToString() => $"{function.Name}({string.Join(", ", args)})";
}

/// <summary>An error of a scenario that only shows while it runs (a name a skipped branch never bound, no IOVA known yet, ...).</summary>
public sealed class ScenarioRuntimeException(string message) : Exception(message);
