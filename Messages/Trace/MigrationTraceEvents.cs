using IommuSim.Runtime;

namespace IommuSim.Messages.Trace;

// Trace events of a live migration over iommufd dirty tracking (LiveMigrationDriver, seed 004's
// use case): one per live round and one at the end, for the migration metrics and the timeline.

/// <summary>
/// Live round <paramref name="Round"/> of <paramref name="Driver"/> ended: it copied
/// <paramref name="PagesCopied"/> pages, the <paramref name="DirtyPages"/> the read before it
/// found (all of guest RAM for round 0), from <paramref name="Start"/> for <paramref name="Duration"/> (system time).
/// </summary>
public sealed record MigrationRoundCompleted(IActorRef Driver, int Round, long DirtyPages, long PagesCopied, TimeSpan Start, TimeSpan Duration) : ITraceEvent;

/// <summary>
/// The migration of <paramref name="Driver"/> ended (stop-and-copy done, or failed with
/// <paramref name="Errno"/>): <paramref name="Rounds"/> live rounds, <paramref name="Elapsed"/>
/// from its start, <paramref name="Downtime"/> for the stop-and-copy of <paramref name="FinalDirtyPages"/> pages.
/// </summary>
public sealed record MigrationFinished(
    IActorRef Driver,
    Errno Errno,
    bool Converged,
    int Rounds,
    TimeSpan Elapsed,
    TimeSpan Downtime,
    long FinalDirtyPages,
    long PagesCopied,
    long MismatchedPages) : ITraceEvent;
