using IommuSim.Actors.Iommu;
using IommuSim.Actors.Iommufd;
using IommuSim.Actors.Oracle;
using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Iommufd;
using IommuSim.Runtime;
using IommuSim.TestKit;

namespace IommuSim.Actors.Tests.Iommufd;

/// <summary>
/// Device writes racing read-and-clear, one run per seed on a <see cref="DeterministicTestKit"/>:
/// guest memory of 2 MiB + 64 KiB, mapped by the domain as one 2 MiB IOPTE and sixteen 4 KiB ones,
/// tracked; a writer DMAs seed-chosen bursts (several in flight) while a reader asks for the dirty
/// bitmap again and again (sometimes NO_CLEAR), and a final read collects what is left. Both
/// oracles watch; the outcome also carries what the test checks itself: every written page in some
/// bitmap, no page reported by more clearing reads than writes made it dirty, the data, and the
/// pins and frames back to zero after teardown.
/// </summary>
internal static class DirtyRace
{
    public const int HugePages = 512;
    public const int SmallPages = 16;
    public const int Pages = HugePages + SmallPages;
    public const ulong IovaBase = 0x10_0000_0000;
    private const ulong K4 = 4096;

    public sealed record Outcome(
        ulong Seed,
        IReadOnlyList<InvariantViolation> Violations,
        bool EveryWriteReported,
        bool NoExtraReports,
        bool DataCorrect,
        long Writes,
        long WritesDuringReads,
        int Reads,
        bool PinsReleased,
        long LiveFrames,
        long Deliveries,
        ulong TraceHash);

    private const string Quiet = """
        akka.loglevel = WARNING
        akka.log-dead-letters = off
        """;

    public static Outcome Run(ulong seed, IommuDomainOptions? bugs = null, string strategy = "random")
    {
        using var kit = new DeterministicTestKit(null, seed, strategy, Quiet);
        var d = kit.Dispatcher;
        var memory = new PhysicalMemory(32UL << 20);
        using var dirtyOracle = DirtyTrackingOracle.Attach(kit.Sys.EventStream);
        using var pinOracle = IoasPinOracle.Attach(kit.Sys.EventStream, memory);

        var unit = IommuUnitActor.Create(kit.Sys, new IommuUnitConfig("iommu0", IommuUnitCapabilities.IntelVtd), memory);
        var device = kit.Sys.ActorOf(DeviceActor.Props(new DeviceOptions("gpu0"), unit, memory), "gpu0");
        var domain = kit.Sys.ActorOf(IommuDomainActor.Props(unit, (bugs ?? new IommuDomainOptions()) with { DirtyTracking = true }), "domain");
        var guest = new GuestMemory(memory, new VirtAddr(0x7f00_0000_0000), (ulong)Pages * K4, 2UL << 20);
        var ioas = kit.Sys.ActorOf(IoasActor.Props(memory, guest), "ioas");
        Expect<DeviceStats>(kit, device, new GetDeviceStats());
        Expect<Done>(kit, domain, new AttachDevice("gpu0", "iommu0"));
        Expect<Done>(kit, ioas, new IoasAttachDomain(domain));
        Expect<IoasMapped>(kit, ioas, new IoasMap(guest.UserBase, guest.Bytes, IommuProt.Read | IommuProt.Write, new Iova(IovaBase)));
        Expect<Done>(kit, ioas, new IoasSetDirtyTracking(domain, true));

        var rng = new Random((int)(seed * 2654435761UL % int.MaxValue));
        // Twelve write bursts and six reads in a seed-chosen order: a read caches a clean
        // translation that a later write must not trust.
        var kinds = Enumerable.Repeat(true, 12).Concat(Enumerable.Repeat(false, 6)).OrderBy(_ => rng.Next()).ToList();
        var bursts = new List<Burst>();
        for (var i = 0; i < kinds.Count; i++)
        {
            var length = rng.Next(1, 4);
            var page = rng.Next(0, 3) == 0 ? rng.Next(0, HugePages - length) : HugePages + rng.Next(0, SmallPages - length);
            bursts.Add(new Burst(page, length, kinds[i] ? [.. Enumerable.Range(0, length).Select(k => (seed << 32) | ((ulong)(uint)i << 8) | (uint)k)] : null));
        }
        var reads = 3 + rng.Next(0, 4);
        var noClear = Enumerable.Range(0, reads).Select(_ => rng.Next(0, 4) == 0).ToArray();

        var writer = kit.Sys.ActorOf(Props.Create(() => new Writer(device, bursts, kit.TestActor)), "writer");
        var reader = kit.Sys.ActorOf(Props.Create(() => new Reader(ioas, noClear, kit.TestActor)), "reader");
        writer.Tell(Go.Instance, ActorRefs.NoSender);
        reader.Tell(Go.Instance, ActorRefs.NoSender);
        d.RunUntilQuiescent();
        var done = kit.ReceiveN(2);
        var bitmaps = done.OfType<ReaderDone>().Single().Bitmaps.ToList();
        if (done.OfType<WriterDone>().Single().Errors > 0) throw new InvalidOperationException($"seed {seed}: a write burst failed");

        var final = Expect<IoasDirtyBitmap>(kit, ioas, new IoasGetDirtyBitmap(null, new Iova(IovaBase), guest.Bytes, K4));
        bitmaps.Add((false, final));

        // The test's own checks of "exactly once", page by page.
        var writesPerPage = new int[Pages];
        var lastValue = new Dictionary<int, ulong>();
        foreach (var (page, _, values) in bursts)
            for (var k = 0; values is not null && k < values.Length; k++)
            {
                writesPerPage[page + k]++;
                lastValue[page + k] = values[k];
            }
        var reportedPerPage = new int[Pages];
        var seen = new bool[Pages];
        foreach (var (nc, bitmap) in bitmaps)
            foreach (var bit in bitmap.SetBits())
            {
                seen[bit] = true;
                if (!nc) reportedPerPage[bit]++;
            }
        // A write under the 2 MiB IOPTE dirties the whole leaf: its pages count as written together.
        var hugeWrites = writesPerPage.Take(HugePages).Sum();
        var everyWriteReported = Enumerable.Range(0, Pages).All(p => writesPerPage[p] == 0 || seen[p]);
        var noExtra = Enumerable.Range(0, Pages).All(p => reportedPerPage[p] <= (p < HugePages ? hugeWrites : writesPerPage[p]));
        var dataCorrect = lastValue.All(kv => guest.Read(kv.Key) == kv.Value);

        // Teardown: everything unmapped and unpinned, the domain empty, the frames freed.
        Expect<IoasUnmapped>(kit, ioas, IoasUnmap.All);
        Expect<Done>(kit, ioas, new IoasDetachDomain(domain));
        pinOracle.CheckTeardown();
        var pinsReleased = guest.Pages.ToArray().All(p => memory.PagePinCount(p) == 0);
        guest.Dispose();
        var counters = memory.Counters;
        var violations = dirtyOracle.Violations.Concat(pinOracle.Violations).ToList();
        return new Outcome(seed, violations, everyWriteReported, noExtra, dataCorrect, dirtyOracle.WritesChecked, dirtyOracle.WritesDuringReads,
            bitmaps.Count, pinsReleased && counters.Pinned == 0, counters.Live, d.Steps, d.TraceHash);
    }

    private static T Expect<T>(DeterministicTestKit kit, IActorRef target, object request) where T : class
    {
        kit.Send(target, request);
        var reply = kit.ExpectMsg<T>();
        if (reply is IReply { Errno: not Errno.None } r) throw new InvalidOperationException($"{request} failed: {r.Errno}");
        return reply;
    }

    private sealed class Go
    {
        public static readonly Go Instance = new();
    }

    private sealed record WriterDone(int Errors);

    private sealed record ReaderDone(IReadOnlyList<(bool NoClear, IoasDirtyBitmap Bitmap)> Bitmaps);

    /// <summary>One DMA burst: a write of <paramref name="Values"/>, or a read of <paramref name="Length"/> pages when null.</summary>
    private sealed record Burst(int Page, int Length, ulong[]? Values);

    /// <summary>DMAs the bursts with up to three in flight, then reports.</summary>
    private sealed class Writer : ReceiveActor
    {
        public Writer(IActorRef device, IReadOnlyList<Burst> bursts, IActorRef report)
        {
            int sent = 0, completed = 0, errors = 0;
            void Send()
            {
                while (sent < bursts.Count && sent - completed < 3)
                {
                    var (page, length, values) = bursts[sent++];
                    var iova = new Iova(IovaBase + (ulong)page * K4);
                    device.Tell(values is null ? new DmaRead(iova, length) : new DmaWrite(iova, values), Self);
                }
                if (completed == bursts.Count) report.Tell(new WriterDone(errors), Self);
            }
            Receive<Go>(_ => Send());
            Receive<DmaCompleted>(c =>
            {
                completed++;
                if (c.Errno != Errno.None) errors++;
                Send();
            });
        }
    }

    /// <summary>Reads the dirty bitmap of every domain over the whole area, one request after the other.</summary>
    private sealed class Reader : ReceiveActor
    {
        public Reader(IActorRef ioas, bool[] noClear, IActorRef report)
        {
            var bitmaps = new List<(bool, IoasDirtyBitmap)>();
            void Next()
            {
                if (bitmaps.Count == noClear.Length)
                {
                    report.Tell(new ReaderDone(bitmaps), Self);
                    return;
                }
                var flags = noClear[bitmaps.Count] ? DirtyBitmapFlags.NoClear : DirtyBitmapFlags.None;
                ioas.Tell(new IoasGetDirtyBitmap(null, new Iova(IovaBase), (ulong)Pages * K4, K4, flags), Self);
            }
            Receive<Go>(_ => Next());
            Receive<IoasDirtyBitmap>(b =>
            {
                if (b.Errno != Errno.None) throw new InvalidOperationException($"read failed: {b.Errno}");
                bitmaps.Add((noClear[bitmaps.Count], b));
                Next();
            });
        }
    }
}
