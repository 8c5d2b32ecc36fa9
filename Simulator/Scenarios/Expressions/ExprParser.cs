using System.Globalization;
using IommuSim.Runtime.Configuration;

namespace IommuSim.Simulator.Scenarios.Expressions;

/// <summary>How an expression is checked while it is read: the names in scope and any named constants (snapshot flags).</summary>
public sealed record ExprContext(Symbols? Symbols, Diagnostics Diagnostics, string What)
{
    public IReadOnlyDictionary<string, ulong>? Constants { get; init; }
}

/// <summary>
/// Parses <see cref="Expr"/> text: <c>expr := term (('+'|'-'|'|') term)*</c>, <c>term := factor
/// (('*'|'/'|'%') factor)*</c>, <c>factor := NUMBER [UNIT] | NAME ['.' FIELD | '[' expr ']'] |
/// FUNCTION '(' args ')' | '(' expr ')'</c>. Units: B, K/KiB/KB, M/MiB/MB, G/GiB/GB, T/TiB/TB (powers
/// of 1024) and page/pages (4 KiB). A name may contain '-' followed by a letter
/// (<c>stats.resident-pages</c>); <c>buf-1</c> is buf minus one.
/// </summary>
public static class ExprParser
{
    private const ulong PageBytes = 4096;

    /// <summary>A number or a text value of the file; errors go to the context's diagnostics (null returned).</summary>
    public static Expr? Parse(ConfigValue value, ExprContext ctx)
    {
        switch (value)
        {
            case ConfigNumber n:
                return Parse(n.Text, n.Position, ctx);
            case ConfigString s:
                return Parse(s.Value, s.Position, ctx);
            default:
                ctx.Diagnostics.Add(value.Position, $"{ctx.What}: expected a number or an expression such as \"buf + 4 pages\", not {Reading.ObjectReader.Describe(value)}");
                return null;
        }
    }

    public static Expr? Parse(string text, ConfigPosition? position, ExprContext ctx)
    {
        var p = new Cursor(text, position, ctx);
        try
        {
            var e = p.ParseExpression();
            p.SkipSpace();
            if (!p.AtEnd) throw p.Fail($"unexpected '{p.Rest}'");
            return e.IsConstant && e is not NumberExpr ? new NumberExpr(e.Evaluate(NoScope.Instance)) { Position = position } : e;
        }
        catch (SyntaxError err)
        {
            ctx.Diagnostics.Add(position, $"{ctx.What}: {err.Message} in \"{text}\"");
            return null;
        }
    }

    /// <summary>A constant size: 4096, 0x1000, 64KiB, "16 pages", "2MiB + 4KiB".</summary>
    public static bool TryParseSize(string text, out ulong bytes)
    {
        var diagnostics = new Diagnostics();
        var e = Parse(text, null, new ExprContext(null, diagnostics, "size"));
        bytes = e is { IsConstant: true } ? e.Evaluate(NoScope.Instance) : 0;
        return e is { IsConstant: true } && !diagnostics.HasErrors;
    }

    private static ulong? UnitBytes(string unit) => unit switch
    {
        "B" => 1,
        "K" or "KiB" or "KB" or "k" => 1UL << 10,
        "M" or "MiB" or "MB" => 1UL << 20,
        "G" or "GiB" or "GB" => 1UL << 30,
        "T" or "TiB" or "TB" => 1UL << 40,
        "page" or "pages" => PageBytes,
        _ => null,
    };

    private sealed class SyntaxError(string message) : Exception(message);

    private sealed class NoScope : IExprScope
    {
        public static readonly NoScope Instance = new();
        public ulong Lookup(string name, string? field) => throw new InvalidOperationException("constant expression");
        public ulong Index(string name, ulong index) => throw new InvalidOperationException("constant expression");
        public ulong Random(ulong lo, ulong hi) => throw new InvalidOperationException("constant expression");
        public ulong IovaOf(string mirror, ulong address) => throw new InvalidOperationException("constant expression");
    }

    private sealed class Cursor(string text, ConfigPosition? position, ExprContext ctx)
    {
        private int _i;

        public bool AtEnd => _i >= text.Length;
        public string Rest => text[_i..];

        public SyntaxError Fail(string message) => new(message);

        public void SkipSpace()
        {
            while (_i < text.Length && char.IsWhiteSpace(text[_i])) _i++;
        }

        private bool Eat(char c)
        {
            SkipSpace();
            if (_i < text.Length && text[_i] == c)
            {
                _i++;
                return true;
            }
            return false;
        }

        public Expr ParseExpression()
        {
            var left = ParseTerm();
            while (true)
            {
                SkipSpace();
                if (AtEnd || text[_i] is not ('+' or '-' or '|')) return left;
                var op = text[_i++];
                left = new BinaryExpr(op, left, ParseTerm()) { Position = position };
            }
        }

        private Expr ParseTerm()
        {
            var left = ParseFactor();
            while (true)
            {
                SkipSpace();
                if (AtEnd || text[_i] is not ('*' or '/' or '%')) return left;
                var op = text[_i++];
                left = new BinaryExpr(op, left, ParseFactor()) { Position = position };
            }
        }

        private Expr ParseFactor()
        {
            SkipSpace();
            if (AtEnd) throw Fail("expected a number or a name");
            var c = text[_i];
            if (c == '(')
            {
                _i++;
                var inner = ParseExpression();
                if (!Eat(')')) throw Fail("expected ')'");
                return inner;
            }
            if (char.IsAsciiDigit(c)) return ParseNumber();
            if (char.IsAsciiLetter(c) || c == '_') return ParseName();
            throw Fail($"unexpected '{c}'");
        }

        private Expr ParseNumber()
        {
            var start = _i;
            ulong value;
            if (text[_i] == '0' && _i + 1 < text.Length && text[_i + 1] is 'x' or 'X')
            {
                _i += 2;
                var digits = _i;
                while (_i < text.Length && (char.IsAsciiHexDigit(text[_i]) || text[_i] == '_')) _i++;
                if (!ulong.TryParse(text.AsSpan(digits, _i - digits).ToString().Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value))
                    throw Fail($"'{text[start.._i]}' is not a 64-bit hexadecimal number");
            }
            else
            {
                while (_i < text.Length && (char.IsAsciiDigit(text[_i]) || text[_i] == '_')) _i++;
                if (!ulong.TryParse(text[start.._i].Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out value))
                    throw Fail($"'{text[start.._i]}' is not a 64-bit number");
            }
            // An optional unit, attached (4KiB) or after spaces ("16 pages").
            var save = _i;
            SkipSpace();
            var unitStart = _i;
            while (_i < text.Length && char.IsAsciiLetter(text[_i])) _i++;
            if (_i > unitStart && UnitBytes(text[unitStart.._i]) is { } scale)
            {
                if (value > ulong.MaxValue / scale) throw Fail($"{value} {text[unitStart.._i]} does not fit in 64 bits");
                return new NumberExpr(value * scale) { Position = position };
            }
            // A word right after a number can only be a unit (a name needs an operator before it).
            if (_i > unitStart) throw Fail($"unknown unit '{text[unitStart.._i]}' (B, KiB, MiB, GiB, TiB, pages)");
            _i = save;
            return new NumberExpr(value) { Position = position };
        }

        private string ReadIdentifier()
        {
            var start = _i;
            while (_i < text.Length)
            {
                var c = text[_i];
                if (char.IsAsciiLetterOrDigit(c) || c == '_') _i++;
                else if (c == '-' && _i + 1 < text.Length && char.IsAsciiLetter(text[_i + 1])) _i++;
                else break;
            }
            return text[start.._i];
        }

        private Expr ParseName()
        {
            var name = ReadIdentifier();
            SkipSpace();
            if (!AtEnd && text[_i] == '(') return ParseCall(name);
            if (ctx.Constants is { } constants && constants.TryGetValue(name, out var constant))
                return new NumberExpr(constant) { Position = position };
            if (!AtEnd && text[_i] == '.')
            {
                _i++;
                var field = ReadIdentifier();
                if (field.Length == 0) throw Fail($"expected a field name after '{name}.'");
                CheckName(name, field, indexed: false);
                return new NameExpr(name, field) { Position = position };
            }
            if (!AtEnd && text[_i] == '[')
            {
                _i++;
                var index = ParseExpression();
                if (!Eat(']')) throw Fail("expected ']'");
                CheckName(name, null, indexed: true);
                return new IndexExpr(name, index) { Position = position };
            }
            CheckName(name, null, indexed: false);
            return new NameExpr(name, null) { Position = position };
        }

        private Expr ParseCall(string name)
        {
            if (!ExprFunction.All.TryGetValue(name, out var function))
                throw Fail($"unknown function '{name}' (known: {string.Join(", ", ExprFunction.All.Keys)})");
            _i++; // (
            var args = new List<Expr>();
            if (!Eat(')'))
            {
                do
                {
                    var k = args.Count;
                    var kind = k < function.ArgumentKinds.Count ? function.ArgumentKinds[k] : null;
                    if (kind is null)
                    {
                        args.Add(ParseExpression());
                        continue;
                    }
                    SkipSpace();
                    var entity = ReadIdentifier();
                    if (entity.Length == 0) throw Fail($"{name}() takes a {kind} name as argument {k + 1}");
                    if (ctx.Symbols is { } symbols && !symbols.Has(kind, entity)) throw Fail(symbols.Unknown(kind, entity));
                    args.Add(new EntityExpr(kind, entity) { Position = position });
                } while (Eat(','));
                if (!Eat(')')) throw Fail("expected ')'");
            }
            if (args.Count != function.ArgumentKinds.Count)
                throw Fail($"{name}() takes {function.ArgumentKinds.Count} arguments, not {args.Count}");
            return new CallExpr(function, args) { Position = position };
        }

        private void CheckName(string name, string? field, bool indexed)
        {
            if (UnitBytes(name) is not null) throw Fail($"'{name}' is a unit and needs a number before it");
            if (ctx.Symbols is not { } symbols) throw Fail($"a constant is expected here, not the name '{name}'");
            var shape = symbols.Value(name);
            if (shape is null)
            {
                var known = symbols.ValueNames();
                throw Fail(known.Count == 0
                    ? $"unknown name '{name}' (no step has bound a name before this one)"
                    : $"unknown name '{name}' (bound so far: {string.Join(", ", known)})");
            }
            if (field is not null)
            {
                if (shape.Fields is not { } fields) throw Fail($"'{name}' is a {shape.Kind}, it has no field '{field}'");
                if (!fields.Contains(field)) throw Fail($"'{name}' has no field '{field}' (fields: {string.Join(", ", fields.Order(StringComparer.Ordinal))})");
            }
            else if (indexed && shape != ValueShape.List) throw Fail($"'{name}' is a {shape.Kind}, not a list");
            else if (!indexed && shape != ValueShape.Number) throw Fail($"'{name}' is a {shape.Kind}: use {(shape == ValueShape.List ? $"{name}[i]" : $"{name}.FIELD")}");
        }
    }
}
