using IommuSim.Simulator.Scenarios.Expectations;

namespace IommuSim.Simulator.Scenarios.Steps;

/// <summary>
/// One kind of step, as the catalogue knows it: its op name, its family (the file it lives in),
/// a one-line usage for the docs, what its <c>expect</c> block may check besides errno, what its
/// <c>name</c> binds (null: it has no result to name), and its parser.
/// </summary>
/// <param name="Shorthand">The op may be written as the step's only key: <c>{ parallel = [ ... ] }</c>.</param>
public sealed record StepKind(
    string Op,
    string Family,
    string Usage,
    IReadOnlyDictionary<string, ExpectType> ExpectKeys,
    ValueShape? Binds,
    Func<StepReader, Step?> Parse)
{
    public bool Shorthand { get; init; }

    /// <summary>Named constants the expect block's values may use (the snapshot flags: read, write, zero, ...).</summary>
    public IReadOnlyDictionary<string, ulong>? ExpectConstants { get; init; }

    public static readonly IReadOnlyDictionary<string, ExpectType> NoExpectations = new Dictionary<string, ExpectType>();

    public static IReadOnlyDictionary<string, ExpectType> Expect(params (string Key, ExpectType Type)[] keys) =>
        keys.ToDictionary(k => k.Key, k => k.Type, StringComparer.Ordinal);

    /// <summary>Every key of a stats record, each checked as a number.</summary>
    public static IReadOnlyDictionary<string, ExpectType> Counters(IEnumerable<string> fields) =>
        fields.ToDictionary(f => f, _ => ExpectType.Number, StringComparer.Ordinal);
}
