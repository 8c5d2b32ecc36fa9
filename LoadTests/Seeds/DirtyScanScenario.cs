using System.Diagnostics;
using System.Text.Json.Nodes;
using IommuSim.Actors.Iommu;
using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.LoadTests.Runtime;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Runtime;

using static IommuSim.LoadTests.Domain.DomainSetup;
using static IommuSim.LoadTests.Seeds.DeterministicAsk;

namespace IommuSim.LoadTests.Seeds;

/// <summary>
/// Seed 004's read-and-clear at scale: a dirty-tracking domain maps <see cref="DirtyScanSettings.IovaBytes"/>
/// of IOVA with leaves of one size (the memory behind it is never touched: the walk needs none),
/// write walks dirty <see cref="DirtyScanSettings.DirtyFraction"/> of the leaves (so that share of
/// the 4 KiB pages), and one <see cref="IommuReadAndClearDirty"/> at 4 KiB granularity reads and
/// clears them all: chunk by chunk, bitmap filled, one IOTLB sync to the unit. The figure is 4 KiB
/// pages of IOVA scanned per second, timed from the request to its answer, next to two raw scans
/// in the same run that produce the same bitmap: the same dirty bits as a flat bitmap of one bit
/// per 4 KiB page (read each word, OR it into the output, clear it), and, stricter, as a flat
/// array of one 64-bit IOPTE per leaf (test its dirty bit, record the leaf, clear the bit). The
/// ratios say what the radix table, the chunking and the actor round trip cost over bare loops.
/// The actors run on the deterministic dispatcher, on the benchmark's thread, so that the time is
/// the simulator's work (domain, unit sync, reply) without thread-pool wake-ups.
/// </summary>
public sealed class DirtyScanScenario(DirtyScanSettings settings) : IScenario
{
    public const string ScenarioName = "dirtyscan";

    public string Name => ScenarioName;

    private readonly record struct ScanRun(double PagesPerSec, double RawBitmapPagesPerSec, double RawPtePagesPerSec, long Chunks);

    public void Run(Action<ScenarioResult> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        foreach (var leaf in settings.LeafSizes) report(MeasureLeafSize(leaf));
    }

    private ScenarioResult MeasureLeafSize(PageSize leaf)
    {
        var pages = (long)(settings.IovaBytes >> PageSize.BaseShift);
        var leaves = (long)(settings.IovaBytes >> leaf.Shift);
        var dirty = Math.Max(1, (long)(leaves * settings.DirtyFraction));
        var runs = Measure.Runs(settings.Measure, () => RunOnce(leaf, leaves, dirty));
        var median = Measure.Median(runs.Select(r => r.PagesPerSec));
        var rawBitmap = Measure.Median(runs.Select(r => r.RawBitmapPagesPerSec));
        var rawPtes = Measure.Median(runs.Select(r => r.RawPtePagesPerSec));
        return new ScenarioResult(
            Name,
            $"iova={settings.IovaBytes >> 30}GiB leaf={leaf} dirty={settings.DirtyFraction:P0}",
            $"{ResultTable.Rate(median, "pages/s")}, x{ResultTable.Number(median / rawBitmap, "0.00")} raw bitmap, x{ResultTable.Number(median / rawPtes, "0.00")} raw IOPTEs",
            ResultTable.Rates(runs.Select(r => r.PagesPerSec)),
            new JsonObject
            {
                ["scenario"] = Name,
                ["iova_bytes"] = settings.IovaBytes,
                ["leaf_bytes"] = leaf.Bytes,
                ["leaves"] = leaves,
                ["dirty_leaves"] = dirty,
                ["pages"] = pages,
                ["bitmap_page_bytes"] = PageSize.Size4K.Bytes,
                ["chunks"] = runs[0].Chunks,
                ["median_pages_per_sec"] = BenchmarkReport.Round(median, 1),
                ["raw_bitmap_median_pages_per_sec"] = BenchmarkReport.Round(rawBitmap, 1),
                ["ratio_to_raw_bitmap"] = BenchmarkReport.Round(median / rawBitmap, 3),
                ["raw_ptes_median_pages_per_sec"] = BenchmarkReport.Round(rawPtes, 1),
                ["ratio_to_raw_ptes"] = BenchmarkReport.Round(median / rawPtes, 3),
                ["runs_pages_per_sec"] = BenchmarkReport.Array(runs.Select(r => r.PagesPerSec), 1),
                ["raw_bitmap_runs_pages_per_sec"] = BenchmarkReport.Array(runs.Select(r => r.RawBitmapPagesPerSec), 1),
                ["raw_ptes_runs_pages_per_sec"] = BenchmarkReport.Array(runs.Select(r => r.RawPtePagesPerSec), 1),
            });
    }

    /// <summary>One system: map, then <see cref="DirtyScanSettings.Repeats"/> times dirty and read; the median repeat of each scan.</summary>
    private ScanRun RunOnce(PageSize leaf, long leaves, long dirty)
    {
        var system = BenchmarkSystems.Deterministic("dirtyscan");
        try
        {
            var memory = new PhysicalMemory(64UL << 20);
            var unit = IommuUnitActor.Create(system, new IommuUnitConfig("iommu0", IommuUnitCapabilities.IntelVtd), memory);
            var device = system.ActorOf(DeviceActor.Props(new DeviceOptions("gpu0"), unit, memory), "gpu0");
            Call<DeviceStats>(system, device, new GetDeviceStats());
            var sizes = leaf == PageSize.Size4K ? PageSizeBitmap.Size4K : PageSizeBitmap.Size4K | leaf.Bytes;
            var domain = system.ActorOf(IommuDomainActor.Props(unit, new IommuDomainOptions { DirtyTracking = true, PageSizes = sizes }), "domain");
            Expect(Call<Done>(system, domain, new AttachDevice("gpu0", unit.Name)).Errno, "attach");
            // Identity-like output addresses: only the table's shape matters to the walk.
            Expect(Call<Done>(system, domain, new IommuMap(default, default, settings.IovaBytes, IommuProt.Read | IommuProt.Write)).Errno, "map");
            Expect(Call<Done>(system, domain, new IommuSetDirtyTracking(true)).Errno, "enable tracking");

            // The same leaves dirty in both: every (leaves / dirty)-th one.
            var stride = leaves / dirty;
            var dirtyIndexes = Enumerable.Range(0, (int)dirty).Select(i => i * stride).ToArray();
            var pageCount = (long)(settings.IovaBytes >> PageSize.BaseShift);
            var words = new ulong[IovaBitmap.WordsFor(settings.IovaBytes, PageSize.Size4K)];
            var pageBits = new ulong[words.Length];
            var ptes = new ulong[leaves];
            var tree = new List<double>();
            var flatBits = new List<double>();
            var flatPtes = new List<double>();
            long chunks = 0;
            for (var r = 0; r < settings.Repeats; r++)
            {
                Dirty(system, domain, leaf, dirtyIndexes);
                Array.Clear(words);
                var start = Stopwatch.GetTimestamp();
                var read = Call<IommuDirtyRead>(system, domain, new IommuReadAndClearDirty(default, settings.IovaBytes, PageSize.Size4K.Bytes, words));
                tree.Add(Measure.PerSecond(pageCount, Stopwatch.GetElapsedTime(start)));
                Expect(read.Errno, "read and clear");
                var expectedBits = dirty * (long)leaf.BasePages;
                if (read.DirtyLeaves != dirty || CountBits(words) != expectedBits)
                    throw new InvalidOperationException($"read-and-clear found {read.DirtyLeaves} dirty leaves, expected {dirty}");
                chunks = read.Chunks;

                var dirtyPages = new IovaBitmap(default, settings.IovaBytes, PageSize.Size4K, pageBits);
                foreach (var i in dirtyIndexes) dirtyPages.Set(new Iova((ulong)i << leaf.Shift), leaf.Bytes);
                Array.Clear(words);
                start = Stopwatch.GetTimestamp();
                var found = RawBitmapScan(pageBits, words);
                flatBits.Add(Measure.PerSecond(pageCount, Stopwatch.GetElapsedTime(start)));
                if (found != expectedBits) throw new InvalidOperationException($"the raw bitmap scan found {found} dirty pages, expected {expectedBits}");

                foreach (var i in dirtyIndexes) ptes[i] |= RawDirty;
                Array.Clear(words);
                start = Stopwatch.GetTimestamp();
                found = RawPteScan(ptes, new IovaBitmap(default, settings.IovaBytes, PageSize.Size4K, words), leaf);
                flatPtes.Add(Measure.PerSecond(pageCount, Stopwatch.GetElapsedTime(start)));
                if (found != dirty) throw new InvalidOperationException($"the raw IOPTE scan found {found} dirty leaves, expected {dirty}");
            }
            return new ScanRun(Measure.Median(tree), Measure.Median(flatBits), Measure.Median(flatPtes), chunks);
        }
        finally
        {
            BenchmarkSystems.Shutdown(system);
        }
    }

    /// <summary>A dirty bit's place in a raw 64-bit IOPTE (x86's D bit is bit 6; any bit does).</summary>
    private const ulong RawDirty = 1UL << 6;

    /// <summary>The bare read-and-clear of a flat dirty bitmap, one bit per 4 KiB page: every word read, a set one OR-ed into the output and cleared.</summary>
    private static long RawBitmapScan(ulong[] dirty, ulong[] output)
    {
        long found = 0;
        for (var w = 0; w < dirty.Length; w++)
        {
            var word = dirty[w];
            if (word == 0) continue;
            output[w] |= word;
            dirty[w] = 0;
            found += System.Numerics.BitOperations.PopCount(word);
        }
        return found;
    }

    /// <summary>The bare loop over one IOPTE word per leaf: read, recorded if dirty, cleared.</summary>
    private static long RawPteScan(ulong[] ptes, IovaBitmap bitmap, PageSize leaf)
    {
        long found = 0;
        for (var i = 0; i < ptes.Length; i++)
        {
            if ((ptes[i] & RawDirty) == 0) continue;
            bitmap.Set(new Iova((ulong)i << leaf.Shift), leaf.Bytes);
            ptes[i] &= ~RawDirty;
            found++;
        }
        return found;
    }

    /// <summary>A device write's walk on each chosen leaf (the unit's walker would send the same).</summary>
    private static void Dirty(ActorSystem system, IActorRef domain, PageSize leaf, long[] indexes)
    {
        var replies = CallAll<Translation>(system, indexes.Select(i => (domain, (object)new Translate(new Iova((ulong)i << leaf.Shift), Write: true))));
        if (replies.Any(t => t.Errno != Errno.None || !t.Dirty)) throw new InvalidOperationException("a write walk failed");
    }

    private static long CountBits(ulong[] words)
    {
        long n = 0;
        foreach (var w in words) n += System.Numerics.BitOperations.PopCount(w);
        return n;
    }
}

/// <summary>Sizes of the dirty-scan scenario.</summary>
public sealed record DirtyScanSettings(ulong IovaBytes, IReadOnlyList<PageSize> LeafSizes, double DirtyFraction, int Repeats, MeasureSettings Measure)
{
    /// <summary>1 TiB of IOVA, 1% dirty, 2 MiB and 1 GiB leaves (268 M pages of 4 KiB each).</summary>
    public static DirtyScanSettings Full { get; } = new(1UL << 40, [PageSize.Size2M, PageSize.Size1G], 0.01, 5, MeasureSettings.Default);

    /// <summary>64 GiB, one repeat per run.</summary>
    public static DirtyScanSettings Quick { get; } = new(64UL << 30, [PageSize.Size2M, PageSize.Size1G], 0.01, 1, MeasureSettings.Default);
}
