using IommuSim.Runtime.Configuration;
using IommuSim.Simulator.Scenarios.Expectations;
using IommuSim.Simulator.Scenarios.Reading;

namespace IommuSim.Simulator.Scenarios.Steps;

/// <summary>
/// Every kind of step a scenario may use, by op, registered family by family (one file each:
/// ControlSteps, MmSteps, MirrorSteps, DeviceSteps, IommuSteps, MemorySteps). Issue 4's actors
/// add their families (SvaSteps, TceSteps, IoasSteps) with one line in <see cref="Create"/>.
/// </summary>
public sealed class StepCatalogue
{
    private static readonly string[] CommonKeys = ["op", "label", "name", "expect", "delay", "delay-rounds"];

    private readonly Dictionary<string, StepKind> _kinds = new(StringComparer.Ordinal);

    public static StepCatalogue Default { get; } = Create();

    private static StepCatalogue Create()
    {
        var c = new StepCatalogue();
        ControlSteps.Register(c);
        MmSteps.Register(c);
        MirrorSteps.Register(c);
        DeviceSteps.Register(c);
        IommuSteps.Register(c);
        MemorySteps.Register(c);
        IoasSteps.Register(c);
        SvaSteps.Register(c);
        TceSteps.Register(c);
        return c;
    }

    public void Add(StepKind kind)
    {
        if (!_kinds.TryAdd(kind.Op, kind)) throw new InvalidOperationException($"step op '{kind.Op}' registered twice");
    }

    public IReadOnlyCollection<StepKind> Kinds => _kinds.Values;

    public StepKind? Find(string op) => _kinds.GetValueOrDefault(op);

    /// <summary>The steps under <paramref name="key"/>: a list of steps, or an object whose keys name its steps (labels).</summary>
    public IReadOnlyList<Step> ReadSteps(ObjectReader parent, string key, Symbols scope, string? context = null)
    {
        var value = parent.Value(key);
        switch (value)
        {
            case null:
                parent.Require(key, "a list of steps");
                return [];
            case ConfigArray:
                return [.. parent.ObjectList(key, $"{parent.What} {key}").Select(r => Read(r, scope, null, context)).OfType<Step>()];
            case ConfigObject:
                var named = parent.NamedObjects(key, "step");
                return [.. named.Select(n => Read(n.Reader, scope, n.Name, context)).OfType<Step>()];
            default:
                parent.Error(key, $"'{key}' must be a list of steps [ {{ op = ... }}, ... ], not {ObjectReader.Describe(value)}");
                return [];
        }
    }

    /// <summary>One step object: <c>{ op = munmap, ... }</c> or a shorthand <c>{ parallel = [ ... ] }</c>.</summary>
    /// <param name="label">The step's name as its container gives it (a named branch), unless it has a label of its own.</param>
    /// <param name="context">The labels of the steps that hold it.</param>
    public Step? Read(ObjectReader step, Symbols symbols, string? label, string? context = null)
    {
        var op = step.String("op");
        if (op is null)
        {
            var shorthand = step.Keys.FirstOrDefault(k => _kinds.TryGetValue(k, out var sk) && sk.Shorthand);
            if (shorthand is null)
            {
                step.Error(step.Position, $"missing 'op' (one of: {string.Join(", ", _kinds.Keys.Order(StringComparer.Ordinal))})");
                return null;
            }
            op = shorthand;
        }
        if (!_kinds.TryGetValue(op, out var kind))
        {
            step.Error("op", $"unknown op '{op}' (known: {string.Join(", ", _kinds.Keys.Order(StringComparer.Ordinal))})");
            return null;
        }
        // Read again under the op's name, so that messages say "step munmap: ..." rather than "steps[3]: ...".
        var what = new ObjectReader(step.Config, $"step {op}", step.Diagnostics);
        var info = ReadInfo(what, op, label, kind, symbols) with { Context = context };
        var reader = new StepReader(what, symbols, info, this);
        var parsed = kind.Parse(reader);
        if (info.Name is { } name)
        {
            if (kind.Binds is { } shape) symbols.Bind(name, shape);
            else what.Error("name", $"op {op} has no result to name");
        }
        what.CheckUnknownKeys();
        return parsed;
    }

    private static StepInfo ReadInfo(ObjectReader step, string op, string? label, StepKind kind, Symbols symbols)
    {
        step.Allow(CommonKeys);
        var position = step.Position;
        var text = step.String("label") ?? label;
        var name = step.String("name");
        if (name is not null && !Names.IsValid(name))
        {
            step.Error("name", $"'{name}' is not a valid name (letters, digits, '-' and '_', starting with a letter)");
            name = null;
        }
        var expect = ExpectBlock.Read(step, kind.ExpectKeys, symbols, kind.ExpectConstants);
        var delay = step.Duration("delay") ?? TimeSpan.Zero;
        (int, int)? rounds = null;
        switch (step.Value("delay-rounds"))
        {
            case null:
                break;
            case ConfigArray { Count: 2 } a when a[0] is ConfigNumber lo && a[1] is ConfigNumber hi
                && lo.TryGetInt64(out var l) && hi.TryGetInt64(out var h) && l >= 0 && h >= l && h <= 1_000_000:
                rounds = ((int)l, (int)h);
                break;
            case ConfigNumber n when n.TryGetInt64(out var k) && k >= 0 && k <= 1_000_000:
                rounds = ((int)k, (int)k);
                break;
            default:
                step.Error("delay-rounds", "'delay-rounds' must be a number of rounds or [min, max] (0 to 1000000), drawn from the seed");
                break;
        }
        return new StepInfo(op, position, text, name, expect) { Delay = delay, DelayRounds = rounds };
    }
}
