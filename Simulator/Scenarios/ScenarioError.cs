using IommuSim.Runtime.Configuration;

namespace IommuSim.Simulator.Scenarios;

/// <summary>One problem of a scenario file: where it is (file:line:col) and what was expected there.</summary>
public sealed record ScenarioError(ConfigPosition? Position, string Message)
{
    public override string ToString() => Position is null ? Message : $"{Position}: {Message}";
}

/// <summary>A scenario that cannot be run: every error found in it, in file order.</summary>
public sealed class ScenarioException : Exception
{
    public ScenarioException(IReadOnlyList<ScenarioError> errors)
        : base(string.Join(Environment.NewLine, errors))
    {
        Errors = errors;
    }

    public ScenarioException(string message)
        : this([new ScenarioError(null, message)])
    {
    }

    public IReadOnlyList<ScenarioError> Errors { get; }
}

/// <summary>The errors found while reading one scenario; reading goes on after an error so that `check` reports them all.</summary>
public sealed class Diagnostics
{
    private readonly List<ScenarioError> _errors = [];

    public IReadOnlyList<ScenarioError> Errors => _errors;

    public bool HasErrors => _errors.Count > 0;

    public void Add(ConfigPosition? position, string message) => _errors.Add(new ScenarioError(position, message));

    public void Add(ConfigException e) => _errors.Add(new ScenarioError(e.Position, e.Reason));

    /// <summary>Throws a <see cref="ScenarioException"/> listing every error, sorted by position, if there was any.</summary>
    public void ThrowIfAny()
    {
        if (_errors.Count == 0) return;
        var sorted = _errors
            .Select((e, i) => (e, i))
            .OrderBy(x => x.e.Position?.File ?? "", StringComparer.Ordinal)
            .ThenBy(x => x.e.Position?.Line ?? 0)
            .ThenBy(x => x.e.Position?.Column ?? 0)
            .ThenBy(x => x.i)
            .Select(x => x.e)
            .Distinct()
            .ToList();
        throw new ScenarioException(sorted);
    }
}
