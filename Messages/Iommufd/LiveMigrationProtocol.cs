namespace IommuSim.Messages.Iommufd;

// A VMM's live migration over iommufd dirty tracking (the flow of seed 004's cover letter and of
// QEMU's VFIO migration with IOMMU dirty tracking): enable tracking, copy all of guest RAM, then
// read-and-clear and copy what devices dirtied, round after round, until the dirty set is small;
// then stop the devices and copy the rest.

/// <summary>Starts the migration the driver was made for. Reply: <see cref="MigrationCompleted"/>, once.</summary>
public sealed record StartMigration;

/// <summary>
/// One round: round 0 copies all of guest RAM; each later round copies the pages the read before
/// it found dirty. <paramref name="DirtyPages"/> is what that read reported (all pages for round 0).
/// Times are the system's clock (virtual on the deterministic dispatcher).
/// </summary>
public sealed record MigrationRound(int Round, long DirtyPages, long PagesCopied, TimeSpan Start, TimeSpan Duration);

/// <param name="Rounds">The live rounds, round 0 first; the stop-and-copy is not among them.</param>
/// <param name="Converged">A read found fewer dirty pages than the threshold before the round limit.</param>
/// <param name="Elapsed">From the start to the end of the stop-and-copy.</param>
/// <param name="Downtime">The stop-and-copy: from quiescing the devices to the end.</param>
/// <param name="FinalDirtyPages">Pages the stop-and-copy copied (the last live read's set and what the devices dirtied after it).</param>
/// <param name="PagesCopied">Pages copied in all, the stop-and-copy included.</param>
/// <param name="MismatchedPages">Pages whose destination differs from the source at the end: 0 for a correct migration.</param>
public sealed record MigrationCompleted(
    Errno Errno,
    IReadOnlyList<MigrationRound> Rounds,
    bool Converged,
    TimeSpan Elapsed,
    TimeSpan Downtime,
    long FinalDirtyPages,
    long PagesCopied,
    long MismatchedPages) : IReply;

/// <summary>
/// Prepare the VM (devices attached to the domain, the domain to the IOAS, guest memory mapped),
/// migrate it, tear it down (every area unmapped, the domain detached). Reply: <see cref="MigrationSessionCompleted"/>.
/// </summary>
public sealed record RunMigration;

/// <param name="Setup">The first failure while preparing (None: the migration ran).</param>
/// <param name="Migration">The driver's report; null when the setup failed.</param>
/// <param name="Teardown">The first failure while tearing down.</param>
public sealed record MigrationSessionCompleted(Errno Setup, MigrationCompleted? Migration, Errno Teardown) : IReply
{
    public Errno Errno => Setup != Errno.None ? Setup : Migration?.Errno is { } e && e != Errno.None ? e : Teardown;
}
