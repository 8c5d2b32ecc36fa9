using System.Diagnostics;
using System.Text.Json.Nodes;
using IommuSim.Actors.Hmm;
using IommuSim.Messages;

namespace IommuSim.LoadTests.Domain;

/// <summary>
/// Seed 001's HMM page table on its own (no actors): populate N pages (one Set per page, as a
/// fault commits them) then clear them (one Clear of the range, as MUNMAP/MIGRATE do), for a few
/// cycles, under each reclaim policy. <c>eager</c> frees directories as they empty and allocates
/// them again on the next populate; <c>on-munmap</c> keeps them until the final Reclaim (the
/// munmap), which the review of seed 001 asked to compare. Reported: ns per page for populate and
/// for clear, and directory allocations and frees per run.
/// </summary>
public sealed class HmmPageTableScenario(DomainSettings settings) : IScenario
{
    public const string ScenarioName = "hmmpt";

    /// <summary>A user-space-looking, 1 GiB-aligned base of the populated range.</summary>
    private const ulong Base = 0x7f00_0000_0000UL;

    public string Name => ScenarioName;

    private readonly record struct PtRun(double PopulateNsPerPage, double ClearNsPerPage, long Allocated, long Freed);

    public void Run(Action<ScenarioResult> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        foreach (var policy in settings.HmmPtPolicies)
        {
            var runs = Measure.Runs(settings.Measure, () => RunOnce(policy, settings.HmmPtPages, settings.HmmPtCycles));
            var populate = Measure.Median(runs.Select(r => r.PopulateNsPerPage));
            var clear = Measure.Median(runs.Select(r => r.ClearNsPerPage));
            var name = PolicyName(policy);
            report(new ScenarioResult(
                Name,
                $"policy={name} pages={settings.HmmPtPages} cycles={settings.HmmPtCycles}",
                $"populate {ResultTable.Number(populate, "0.0")} ns/page, clear {ResultTable.Number(clear, "0.0")} ns/page, dirs +{runs[0].Allocated}/-{runs[0].Freed}",
                string.Join("; ", runs.Select(r => $"{ResultTable.Number(r.PopulateNsPerPage, "0.0")}/{ResultTable.Number(r.ClearNsPerPage, "0.0")} ns")),
                new JsonObject
                {
                    ["scenario"] = Name,
                    ["policy"] = name,
                    ["pages"] = settings.HmmPtPages,
                    ["cycles"] = settings.HmmPtCycles,
                    ["populate_ns_per_page"] = BenchmarkReport.Round(populate, 1),
                    ["clear_ns_per_page"] = BenchmarkReport.Round(clear, 1),
                    ["directories_allocated"] = runs[0].Allocated,
                    ["directories_freed"] = runs[0].Freed,
                    ["runs_populate_ns_per_page"] = BenchmarkReport.Array(runs.Select(r => r.PopulateNsPerPage), 1),
                    ["runs_clear_ns_per_page"] = BenchmarkReport.Array(runs.Select(r => r.ClearNsPerPage), 1),
                }));
        }
    }

    public static string PolicyName(HmmPtReclaimPolicy policy) => policy == HmmPtReclaimPolicy.Eager ? "eager" : "on-munmap";

    private static PtRun RunOnce(HmmPtReclaimPolicy policy, int pages, int cycles)
    {
        var table = new HmmPageTable((1UL << 48) - 1, policy);
        var range = AddressRange.FromLength(Base, (ulong)pages << PageSize.BaseShift);
        long populateTicks = 0, clearTicks = 0;
        for (var cycle = 0; cycle < cycles; cycle++)
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < pages; i++)
            {
                var err = table.Set(Base + ((ulong)i << PageSize.BaseShift), HmmPte.FromPfn(new Pfn(0x100 + (ulong)i), write: (i & 1) == 0));
                if (err != Errno.None) throw new InvalidOperationException($"populate failed with {err}");
            }
            populateTicks += Stopwatch.GetTimestamp() - start;

            start = Stopwatch.GetTimestamp();
            var cleared = table.Clear(range);
            clearTicks += Stopwatch.GetTimestamp() - start;
            if (cleared != pages) throw new InvalidOperationException($"clear removed {cleared} entries, expected {pages}");
        }
        // The munmap: on-munmap frees its kept directories now; eager has nothing left to free.
        var reclaimStart = Stopwatch.GetTimestamp();
        table.Reclaim(range);
        clearTicks += Stopwatch.GetTimestamp() - reclaimStart;
        var counters = table.Counters;
        if (counters.ValidEntries != 0 || counters.DirectoriesLinked != 0)
            throw new InvalidOperationException($"the table is not empty after munmap: {counters}");
        double NsPerPage(long ticks) => ticks * 1e9 / Stopwatch.Frequency / ((double)pages * cycles);
        return new PtRun(NsPerPage(populateTicks), NsPerPage(clearTicks), counters.DirectoriesAllocated, counters.DirectoriesFreed);
    }
}
