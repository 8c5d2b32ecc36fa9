namespace IommuSim.Runtime.Deterministic;

/// <summary>Chooses the next channel to deliver from, among the runnable ones.</summary>
public abstract class SchedulingStrategy
{
    public abstract string Name { get; }
    internal virtual void OnChannelCreated(Channel channel) { }
    /// <summary>Returns an index into <paramref name="runnable"/> (never empty). <paramref name="step"/> counts from 0.</summary>
    internal abstract int Choose(List<Channel> runnable, long step);
}

/// <summary>Uniformly random among runnable channels.</summary>
public sealed class RandomStrategy(ulong seed) : SchedulingStrategy
{
    private readonly Xoshiro256 _rng = new(seed);
    public override string Name => "random";
    internal override int Choose(List<Channel> runnable, long step) => _rng.NextInt(runnable.Count);
}

/// <summary>
/// Probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010):
/// every channel gets a random priority above <c>depth</c>; the highest runnable priority runs;
/// at <c>depth - 1</c> change points drawn uniformly from [1, maxSteps] the running channel drops
/// to priority <c>depth - i</c>. A bug of depth d is found with probability at least
/// 1/(n·k^(d-1)) per run, for n channels and k steps.
/// </summary>
public sealed class PctStrategy : SchedulingStrategy
{
    private readonly Xoshiro256 _rng;
    private readonly long[] _changePoints;
    private readonly bool _countChoicePoints;
    private long _choicePoints;
    private int _nextChange;

    /// <param name="countChoicePoints">
    /// Count steps as choice points only (deliveries where more than one channel was runnable; the
    /// dispatcher asks the strategy only then), so that <paramref name="maxSteps"/> covers the
    /// racy part of a run rather than its sequential stretches, where a change point changes nothing.
    /// </param>
    public PctStrategy(ulong seed, int depth, long maxSteps, bool countChoicePoints = false)
    {
        _countChoicePoints = countChoicePoints;
        if (depth < 1) throw new ArgumentOutOfRangeException(nameof(depth), depth, "PCT depth must be at least 1");
        if (maxSteps < 1) throw new ArgumentOutOfRangeException(nameof(maxSteps), maxSteps, "PCT max steps must be at least 1");
        Depth = depth;
        _rng = new Xoshiro256(seed);
        _changePoints = new long[depth - 1];
        for (var i = 0; i < _changePoints.Length; i++) _changePoints[i] = _rng.NextLong(1, maxSteps);
        Array.Sort(_changePoints);
    }

    public int Depth { get; }
    public IReadOnlyList<long> ChangePoints => _changePoints;
    public override string Name => "pct";

    internal override void OnChannelCreated(Channel channel) =>
        channel.Priority = Depth + (long)(_rng.NextUInt64() >> 2);

    internal override int Choose(List<Channel> runnable, long step)
    {
        var best = 0;
        for (var i = 1; i < runnable.Count; i++)
        {
            var c = runnable[i];
            var b = runnable[best];
            if (c.Priority > b.Priority || (c.Priority == b.Priority && c.Id < b.Id)) best = i;
        }
        var at = _countChoicePoints ? _choicePoints++ : step;
        while (_nextChange < _changePoints.Length && _changePoints[_nextChange] <= at)
        {
            // Change point i (1-based) lowers the running channel below every initial priority.
            runnable[best].Priority = Depth - (_nextChange + 1);
            _nextChange++;
        }
        return best;
    }
}

/// <summary>Replays recorded choices; a choice that does not fit the run means the program diverged.</summary>
public sealed class ReplayStrategy(IReadOnlyList<int> choices) : SchedulingStrategy
{
    public override string Name => "replay";
    public int Remaining => choices.Count - (int)Math.Min(_position, choices.Count);
    private long _position;

    internal override int Choose(List<Channel> runnable, long step)
    {
        if (_position >= choices.Count)
            throw new ScheduleDivergedException($"replay ran out of recorded choices at step {step} ({choices.Count} recorded)");
        var c = choices[(int)_position++];
        if (c >= runnable.Count)
            throw new ScheduleDivergedException($"replay diverged at step {step}: recorded choice {c} but only {runnable.Count} channels are runnable");
        return c;
    }
}

public sealed class ScheduleDivergedException(string message) : Exception(message);
