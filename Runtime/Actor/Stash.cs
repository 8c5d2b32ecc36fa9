namespace IommuSim.Runtime;

/// <summary>Marks an actor that uses <see cref="ActorBase.Stash"/> (Akka's IWithUnboundedStash).</summary>
public interface IWithUnboundedStash;

/// <summary>Keeps messages aside to process them later, in their original order, before anything queued after.</summary>
public interface IStash
{
    /// <summary>Stashes the message being processed.</summary>
    void Stash();
    /// <summary>Puts the oldest stashed message back at the head of the mailbox.</summary>
    void Unstash();
    /// <summary>Puts every stashed message back at the head of the mailbox, oldest first.</summary>
    void UnstashAll();
    void UnstashAll(Func<Envelope, bool> predicate);
    /// <summary>Empties the stash and returns what it held.</summary>
    IReadOnlyList<Envelope> ClearStash();
    int Count { get; }
}

internal sealed partial class ActorCell
{

    internal IStash GetStash()
    {
        if (_actor is not IWithUnboundedStash)
            throw new ActorException($"{_actor?.GetType().Name} must implement IWithUnboundedStash to use the stash");
        return R.Stash ??= new StashImpl(this);
    }

    // Messages put back by Unstash are processed before the mailbox queue; only this actor's
    // thread touches them.
    internal bool HasUnstashed => _rare?.Unstashed is { Count: > 0 };

    private bool TryDequeueUnstashed(out Envelope envelope)
    {
        if (_rare?.Unstashed is { Count: > 0 } u)
        {
            envelope = u.First!.Value;
            u.RemoveFirst();
            return true;
        }
        envelope = default;
        return false;
    }

    internal void PrependUnstashed(IReadOnlyList<Envelope> envelopes)
    {
        var unstashed = R.Unstashed ??= new LinkedList<Envelope>();
        for (var i = envelopes.Count - 1; i >= 0; i--) unstashed.AddFirst(envelopes[i]);
    }

    private void Unstash(IReadOnlyList<Envelope> envelopes)
    {
        if (envelopes.Count > 0) Dispatcher.Unstash(this, envelopes);
    }

    private void UnstashAllForRestart() => _rare?.Stash?.UnstashAll();

    private void DropStash()
    {
        var lost = new List<Envelope>();
        if (_rare == null) return;
        if (_rare.Stash != null) lost.AddRange(_rare.Stash.ClearStash());
        if (_rare.Unstashed != null) lost.AddRange(_rare.Unstashed);
        _rare.Unstashed = null;
        foreach (var e in lost) System.PublishDeadLetter(e, Self);
    }

    private sealed class StashImpl(ActorCell cell) : IStash
    {
        private readonly List<Envelope> _stashed = [];

        public int Count => _stashed.Count;

        public void Stash()
        {
            var env = cell.CurrentEnvelope;
            if (env.Message is null) throw new InvalidOperationException("Stash can only be called while processing a message");
            if (_stashed.Count > 0 && ReferenceEquals(_stashed[^1].Message, env.Message) && Equals(_stashed[^1].Sender, env.Sender))
                throw new InvalidOperationException($"Cannot stash the same message twice: {env.Message}");
            _stashed.Add(env);
        }

        public void Unstash()
        {
            if (_stashed.Count == 0) return;
            var first = _stashed[0];
            _stashed.RemoveAt(0);
            cell.Unstash([first]);
        }

        public void UnstashAll() => UnstashAll(_ => true);

        public void UnstashAll(Func<Envelope, bool> predicate)
        {
            var selected = _stashed.Where(predicate).ToList();
            _stashed.RemoveAll(e => predicate(e));
            cell.Unstash(selected);
        }

        public IReadOnlyList<Envelope> ClearStash()
        {
            var all = _stashed.ToList();
            _stashed.Clear();
            return all;
        }
    }
}
