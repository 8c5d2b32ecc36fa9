using System.Diagnostics;
using System.Text.Json.Nodes;
using IommuSim.Actors.Iommufd;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.LoadTests.Runtime;
using IommuSim.Messages;
using IommuSim.Messages.Iommufd;
using IommuSim.Runtime;

namespace IommuSim.LoadTests.Seeds;

/// <summary>
/// Live migration of a VM over iommufd dirty tracking (<see cref="MigratingVm"/>): guest RAM
/// mapped in an IOAS whose dirty-tracking domain its passthrough devices share, the devices writing
/// random pages at a set rate, the driver copying at a set bandwidth, round after round, until a
/// read finds fewer dirty pages than the threshold; then the stop-and-copy. Everything runs in the
/// deterministic dispatcher's virtual time, so the figures are simulated: rounds, time to converge,
/// downtime, pages copied (and the wall time the simulation took). The destination must equal the
/// source at the end.
/// </summary>
public sealed class LiveMigrationScenario(LiveMigrationSettings settings) : IScenario
{
    public const string ScenarioName = "migration";

    public string Name => ScenarioName;

    public void Run(Action<ScenarioResult> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        foreach (var leaf in settings.LeafSizes) report(RunOnce(leaf));
    }

    private ScenarioResult RunOnce(PageSize leaf)
    {
        var options = settings.Vm with
        {
            GuestAlignBytes = Math.Max(PageSize.Size4K.Bytes, leaf.Bytes),
            DomainPageSizes = PageSizeBitmap.Size4K | leaf.Bytes,
            TearDown = false,
        };
        var writeRate = options.Devices * options.BurstPages / options.WriteInterval.TotalSeconds;
        Measure.FullCollect();
        var system = BenchmarkSystems.Deterministic("migration");
        var wall = Stopwatch.StartNew();
        MigrationCompleted m;
        long deliveries;
        try
        {
            var dispatcher = system.Deterministic!;
            var memory = new PhysicalMemory(options.GuestBytes * 2 + (64UL << 20));
            using var vm = MigratingVm.Create(system, memory, options);
            var done = vm.Session.Ask<MigrationSessionCompleted>(new RunMigration(), Timeout.InfiniteTimeSpan);
            // The workload's timer never stops on its own: run until the session answers.
            dispatcher.RunUntil(() => done.IsCompleted, Timeout.InfiniteTimeSpan);
            var session = done.Result;
            if (session.Errno != Errno.None || session.Migration is null) throw new InvalidOperationException($"the migration failed: {session.Errno.Describe()}");
            m = session.Migration;
            if (m.MismatchedPages != 0) throw new InvalidOperationException($"{m.MismatchedPages} pages differ after the migration");
            deliveries = dispatcher.Steps;
        }
        finally
        {
            BenchmarkSystems.Shutdown(system);
        }
        var seconds = wall.Elapsed.TotalSeconds;
        var pages = (long)(options.GuestBytes >> PageSize.BaseShift);
        var rounds = new JsonArray();
        foreach (var r in m.Rounds)
            rounds.Add(new JsonObject
            {
                ["round"] = r.Round,
                ["dirty_pages"] = r.DirtyPages,
                ["start_ms"] = BenchmarkReport.Round(r.Start.TotalMilliseconds, 3),
                ["copy_ms"] = BenchmarkReport.Round(r.Duration.TotalMilliseconds, 3),
            });
        return new ScenarioResult(
            Name,
            $"guest={options.GuestBytes >> 30}GiB leaf={leaf} writes={ResultTable.Rate(writeRate, "pages/s")}",
            $"{m.Rounds.Count} rounds, {(m.Converged ? "converged" : "NOT converged")} in {ResultTable.Number(m.Elapsed.TotalSeconds, "0.000")} s simulated, downtime {ResultTable.Number(m.Downtime.TotalMilliseconds, "0.00")} ms",
            $"{ResultTable.Number(seconds, "0.0")} s wall",
            new JsonObject
            {
                ["scenario"] = Name,
                ["guest_bytes"] = options.GuestBytes,
                ["pages"] = pages,
                ["leaf_bytes"] = leaf.Bytes,
                ["devices"] = options.Devices,
                ["write_pages_per_sec"] = BenchmarkReport.Round(writeRate, 1),
                ["copy_ns_per_page"] = options.CopyNanosecondsPerPage,
                ["threshold_pages"] = options.ThresholdPages,
                ["max_rounds"] = options.MaxRounds,
                ["converged"] = m.Converged,
                ["rounds"] = m.Rounds.Count,
                ["simulated_seconds"] = BenchmarkReport.Round(m.Elapsed.TotalSeconds, 6),
                ["downtime_ms"] = BenchmarkReport.Round(m.Downtime.TotalMilliseconds, 3),
                ["final_dirty_pages"] = m.FinalDirtyPages,
                ["pages_copied"] = m.PagesCopied,
                ["mismatched_pages"] = m.MismatchedPages,
                ["deliveries"] = deliveries,
                ["wall_seconds"] = BenchmarkReport.Round(seconds, 3),
                ["round_detail"] = rounds,
            });
    }
}

/// <summary>Sizes of the live migration scenario: the VM (its devices, rates and pacing) and the leaf sizes its domain uses.</summary>
public sealed record LiveMigrationSettings(MigratingVmOptions Vm, IReadOnlyList<PageSize> LeafSizes)
{
    /// <summary>
    /// A 64 GiB VM, two devices each writing a 4-page burst every 16 us (500 k pages/s, about
    /// 2 GB/s of random 4 KiB writes), a 10 GB/s copy (400 ns a page), a read-and-clear at 1 G
    /// pages/s (16.8 ms per read of 64 GiB), stop at 16384 dirty pages or fewer (64 MiB, 6.6 ms of
    /// copy): page-granular tracking with 4 KiB IOPTEs. The read's own time sets a floor: the
    /// devices dirty about 10 k pages while one read and its copy run, so a threshold below that
    /// is never reached (the rounds level off instead).
    /// </summary>
    public static LiveMigrationSettings Full { get; } = new(new MigratingVmOptions
    {
        GuestBytes = 64UL << 30,
        Devices = 2,
        BurstPages = 4,
        WriteInterval = TimeSpan.FromMicroseconds(16),
        CopyNanosecondsPerPage = 400,
        CopyBatchPages = 4096,
        ThresholdPages = 16384,
        MaxRounds = 30,
    }, [PageSize.Size4K]);

    /// <summary>1 GiB, the same rates and a threshold scaled down with it.</summary>
    public static LiveMigrationSettings Quick { get; } = new(Full.Vm with { GuestBytes = 1UL << 30, ThresholdPages = 256 }, [PageSize.Size4K]);
}
