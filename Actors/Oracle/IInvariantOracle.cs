namespace IommuSim.Actors.Oracle;

/// <summary>
/// A checker of one of DESIGN.md's invariants, fed by the trace events on an actor system's
/// EventStream (subscribed when it is attached, unsubscribed when disposed). The scenario runner
/// attaches every oracle of a run and reports their <see cref="Violations"/>.
/// </summary>
/// <remarks>
/// Oracles are plain objects, not actors, so that they see each event at the moment it is
/// published, in causal order; on the thread-pool dispatcher events arrive from several threads,
/// so an implementation serialises its own state (see <see cref="DmaSafetyOracle"/>).
/// </remarks>
public interface IInvariantOracle : IDisposable
{
    /// <summary>The invariant's short name, as reports print it (e.g. "pinned-equals-valid-tces").</summary>
    string Invariant { get; }

    /// <summary>Every breach seen so far, oldest first.</summary>
    IReadOnlyList<InvariantViolation> Violations { get; }

    /// <summary>Checks that only hold once a run has torn everything down (refcounts back to zero); adds to <see cref="Violations"/>.</summary>
    void CheckTeardown();
}

/// <summary>One breach of an invariant: what happened, the actors and pages involved, and the trace events just before it, oldest first.</summary>
public sealed record InvariantViolation(
    string Invariant,
    string Message,
    IReadOnlyList<string> Actors,
    IReadOnlyList<string> Pages,
    IReadOnlyList<string> RecentEvents);
