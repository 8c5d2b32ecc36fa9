using IommuSim.Messages.Mm;
using IommuSim.Runtime.Configuration;
using IommuSim.Simulator.Scenarios.Expressions;
using IommuSim.Simulator.Scenarios.Reading;

namespace IommuSim.Simulator.Scenarios.Steps;

/// <summary>
/// What a step kind's parser reads its arguments with: the step's object, the names declared so
/// far, the step's common settings, and the catalogue (for steps that hold steps). Every getter
/// checks what it reads (an unknown process, mirror or device is named with its position) and
/// reports problems instead of throwing.
/// </summary>
public sealed class StepReader(ObjectReader obj, Symbols symbols, StepInfo info, StepCatalogue catalogue)
{
    public ObjectReader Object { get; } = obj;
    public Symbols Symbols { get; } = symbols;
    public StepInfo Info { get; } = info;
    public StepCatalogue Catalogue { get; } = catalogue;
    public Diagnostics Diagnostics => Object.Diagnostics;

    private ExprContext ExprContext => new(Symbols, Diagnostics, Object.What);

    /// <summary>The name of an existing entity of <paramref name="kind"/> (a process, a mirror, ...).</summary>
    public string? Entity(string key, string kind, bool required = true)
    {
        var name = Object.String(key, required);
        if (name is null) return null;
        if (Symbols.Has(kind, name)) return name;
        Object.Error(key, Symbols.Unknown(kind, name));
        return null;
    }

    /// <summary>The name of an entity this step creates (a forked child, a new mirror): declared from here on.</summary>
    public string? NewEntity(string key, string kind)
    {
        var name = Object.String(key, required: true);
        if (name is null) return null;
        if (!Reading.Names.IsValid(name))
        {
            Object.Error(key, $"'{name}' is not a valid name (letters, digits, '-' and '_', starting with a letter)");
            return null;
        }
        if (Symbols.Declare(kind, name, Object.PositionOf(key))) return name;
        Object.Error(key, $"{kind} '{name}' already exists");
        return null;
    }

    public Expr? Expr(string key, bool required = true)
    {
        var v = Object.Value(key);
        if (v is null)
        {
            if (required) Object.Require(key, "a number or an expression");
            return null;
        }
        return ExprParser.Parse(v, ExprContext with { What = $"{Object.What} '{key}'" });
    }

    public ListExpr? List(string key, bool required = true)
    {
        var v = Object.Value(key);
        if (v is null)
        {
            if (required) Object.Require(key, "a list of values");
            return null;
        }
        return ListExpr.Parse(v, ExprContext with { What = $"{Object.What} '{key}'" });
    }

    /// <summary>A length in bytes given as <c>length = 256KiB</c> or <c>pages = 64</c> (exactly one of them).</summary>
    public Expr? Length(string bytesKey = "length", string pagesKey = "pages", bool required = true)
    {
        var hasBytes = Object.Has(bytesKey);
        var hasPages = Object.Has(pagesKey);
        if (hasBytes && hasPages)
        {
            Object.Error(pagesKey, $"give '{bytesKey}' or '{pagesKey}', not both");
            return null;
        }
        if (hasBytes) return Expr(bytesKey);
        if (hasPages) return Expr(pagesKey) is { } pages ? Pages(pages) : null;
        if (required) Object.Require(bytesKey, $"a length in bytes, or '{pagesKey}'");
        return null;
    }

    /// <summary>A page count; <c>pages = 64</c>.</summary>
    public Expr? PageCount(string key = "pages", bool required = true) => Expr(key, required);

    /// <summary>PROT_* as <c>rw</c>, <c>r</c>, <c>none</c>, or a list [read, write].</summary>
    public Prot? Prot(string key, Prot? @default)
    {
        var v = Object.Value(key);
        if (v is null) return @default;
        var words = v switch
        {
            ConfigString s => s.Value.Split([',', '|', '+', ' '], StringSplitOptions.RemoveEmptyEntries),
            ConfigArray a => a.OfType<ConfigString>().Select(x => x.Value).ToArray(),
            _ => null,
        };
        var prot = Messages.Mm.Prot.None;
        foreach (var w in words ?? ["?"])
        {
            switch (w)
            {
                case "rw": prot |= Messages.Mm.Prot.Read | Messages.Mm.Prot.Write; break;
                case "r" or "read": prot |= Messages.Mm.Prot.Read; break;
                case "w" or "write": prot |= Messages.Mm.Prot.Write; break;
                case "none": break;
                default:
                    Object.Error(key, $"'{key}' must be rw, r, none, or a list of read and write, not {ObjectReader.Describe(v)}");
                    return null;
            }
        }
        return prot;
    }

    /// <summary>Steps held by this one (a list, or an object of named steps), read with the names of <paramref name="scope"/>.</summary>
    public IReadOnlyList<Step> Steps(string key, Symbols scope) => Catalogue.ReadSteps(Object, key, scope, Info.ChildContext);

    private static Expr Pages(Expr pages) =>
        pages is NumberExpr n ? new NumberExpr(n.Value * 4096) { Position = n.Position } : new BinaryExpr('*', pages, new NumberExpr(4096)) { Position = pages.Position };
}
