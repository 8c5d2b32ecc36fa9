using IommuSim.Actors.Tce;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Tce;
using IommuSim.Runtime;
using IommuSim.TestKit;

namespace IommuSim.Actors.Tests.Tce;

/// <summary>
/// A guest's TCE traffic against its devices' DMA, over the real actors, one run per seed on a
/// <see cref="DeterministicTestKit"/>. Three senders (QEMU's vCPU threads doing H_PUT_TCE) issue
/// MAP_DMA and UNMAP_DMA over overlapping slots of one window, each request after the previous
/// one's answer, with random directions; one request of each is malformed, and maps that reach a
/// hole in the process's buffer fail half way and roll back. Two devices meanwhile read and write
/// random slots by DMA. Slot k is always IOVA window + k pages and buffer page k, so every value a
/// device reads must be page k's: what the CPU wrote there or what a device wrote to slot k.
/// Both oracles watch every step; the run ends by detaching the group and ending the process,
/// after which no pin and no page may be left.
/// </summary>
internal static class TceRace
{
    public const int Slots = 32;
    public const int Hole = 27;
    public const int Senders = 3;
    public const int OpsPerSender = 8;
    public const int BurstsPerDevice = 10;
    private static readonly string[] DeviceNames = ["gpu0", "gpu1"];

    private const string Quiet = """
        akka.loglevel = WARNING
        akka.log-dead-letters = off
        """;

    public sealed record Outcome(
        ulong Seed,
        IReadOnlyList<string> Violations,
        IReadOnlyList<string> Errors,
        int MapsOk,
        int Rollbacks,
        int DmaPages,
        int DmaFaults,
        long Exchanges,
        long Releases,
        long DmaChecked,
        long PinsLeft,
        long LivePages,
        long Deliveries,
        ulong TraceHash);

    public static ulong Initial(ulong seed, int slot) => (seed << 20) | (uint)slot | 0x8000_0000_0000_0000UL;

    private static ulong Written(ulong seed, int device, int burst, int slot) =>
        (seed << 20) | ((ulong)device << 16) | ((ulong)burst << 8) | (uint)slot | 0x4000_0000_0000_0000UL;

    public static Outcome Run(ulong seed, TceContainerOptions? container = null, string strategy = "random")
    {
        using var kit = new DeterministicTestKit(null, seed, strategy, Quiet);
        var d = kit.Dispatcher;
        using var m = new TceMachine(kit, new TceMachineOptions
        {
            Container = container ?? TceContainerOptions.Default,
            Entries = 64,
            Devices = DeviceNames,
            RamBytes = 16UL << 20,
        });
        m.Ready();
        var buffer = m.Mmap(Slots, i => Initial(seed, (int)i));
        Check(m.Munmap(buffer + Hole * TceMachine.Page, 1) == Errno.None, "munmap of the hole");
        // Written back: the CPU's stores no longer mark the pages, so a dirty flag is a release's.
        m.CleanAllPages();
        ulong Iova(int slot) => m.WindowStart + (ulong)slot * TceMachine.Page;

        var rng = new Random((int)(seed * 2654435761 % int.MaxValue));
        var scripts = new List<(string Name, List<(IActorRef, object)> Steps)>();
        for (var s = 0; s < Senders; s++)
        {
            var steps = new List<(IActorRef, object)>();
            for (var j = 0; j < OpsPerSender; j++)
            {
                var first = rng.Next(Slots);
                var n = Math.Min(rng.Next(1, 9), Slots - first);
                object op = rng.Next(3) == 0
                    ? new VfioUnmapDma(Iova(first), (ulong)n * TceMachine.Page)
                    : new VfioMapDma(buffer + (ulong)first * TceMachine.Page, Iova(first), (ulong)n * TceMachine.Page,
                        (VfioDmaMapFlags)rng.Next(1, 4));
                steps.Add((m.Container, op));
            }
            steps.Insert(rng.Next(steps.Count + 1), (m.Container, new VfioMapDma(buffer, Iova(0), TceMachine.Page, (VfioDmaMapFlags)5)));
            scripts.Add(($"sender{s}", steps));
        }
        for (var dev = 0; dev < DeviceNames.Length; dev++)
        {
            var steps = new List<(IActorRef, object)>();
            for (var b = 0; b < BurstsPerDevice; b++)
            {
                var first = rng.Next(Slots);
                var n = Math.Min(rng.Next(1, 5), Slots - first);
                object burst = rng.Next(2) == 0
                    ? new DmaRead(new Iova(Iova(first)), n)
                    : new DmaWrite(new Iova(Iova(first)), [.. Enumerable.Range(first, n).Select(k => Written(seed, dev, b, k))]);
                steps.Add((m.Devices[DeviceNames[dev]], burst));
            }
            scripts.Add((DeviceNames[dev], steps));
        }

        foreach (var (name, steps) in scripts)
            kit.Sys.ActorOf(Props.Create(() => new Script(name, steps, kit.TestActor)), "script-" + name).Tell(Script.Go, ActorRefs.NoSender);
        d.RunUntilQuiescent();
        var logs = kit.ReceiveN(scripts.Count).Cast<Script.Finished>().ToList();

        var errors = new List<string>();
        int mapsOk = 0, rollbacks = 0, dmaPages = 0, dmaFaults = 0;
        var written = new Dictionary<int, HashSet<ulong>>();
        foreach (var (request, reply) in logs.SelectMany(l => l.Steps))
        {
            if (request is DmaWrite w && reply is DmaCompleted wc)
                for (var i = 0; i < wc.Pages; i++) Slot(written, SlotOf(w.Iova.Value + (ulong)i * TceMachine.Page)).Add(w.Values[i]);
        }
        foreach (var (request, reply) in logs.SelectMany(l => l.Steps))
        {
            switch (request)
            {
                case VfioMapDma map:
                {
                    var first = SlotOf(map.Iova);
                    var last = first + (int)(map.Size / TceMachine.Page) - 1;
                    var expected = (uint)map.Flags > 3 ? Errno.EINVAL : first <= Hole && Hole <= last ? Errno.EFAULT : Errno.None;
                    if (reply.Errno != expected) errors.Add($"{map} answered {reply.Errno}, expected {expected}");
                    if (reply.Errno == Errno.None) mapsOk++;
                    if (reply.Errno == Errno.EFAULT) rollbacks++;
                    break;
                }
                case VfioUnmapDma unmap when reply.Errno != Errno.None:
                    errors.Add($"{unmap} answered {reply.Errno}");
                    break;
                case DmaRead or DmaWrite when reply is DmaCompleted c:
                {
                    dmaPages += c.Pages;
                    if (c.Errno != Errno.None) dmaFaults++;
                    if (c.Errno is not (Errno.None or Errno.EFAULT or Errno.EPERM)) errors.Add($"{request} answered {c.Errno}");
                    if (request is not DmaRead) break;
                    for (var i = 0; i < c.Values.Count; i++)
                    {
                        var slot = SlotOf(c.Iova.Value + (ulong)i * TceMachine.Page);
                        if (c.Values[i] != Initial(seed, slot) && !Slot(written, slot).Contains(c.Values[i]))
                            errors.Add($"a device read {c.Values[i]:x} at slot {slot}, which is no value of page {slot}");
                    }
                    break;
                }
            }
        }
        // What the devices wrote landed in the right page, and nowhere else.
        for (var slot = 0; slot < Slots; slot++)
        {
            if (slot == Hole) continue;
            var value = m.CpuRead(buffer + (ulong)slot * TceMachine.Page);
            if (value != Initial(seed, slot) && !Slot(written, slot).Contains(value))
                errors.Add($"page {slot} holds {value:x}, which no one wrote there");
        }

        var violations = new List<string>();
        // Teardown: detach (every entry cleared, every pin released), then the process ends.
        if (m.Detach() != Errno.None) errors.Add("detach failed");
        if (m.Call<Done>(m.Mm, new Exit()).Errno != Errno.None) errors.Add("exit failed");
        m.PinOracle.CheckTeardown();
        violations.AddRange(m.PinOracle.Violations.Select(v => $"{v.Invariant}: {v.Message}\n    {string.Join("\n    ", v.RecentEvents)}"));
        violations.AddRange(m.DmaOracle.Violations.Select(v => v.ToString()));
        var counters = m.Memory.Counters;
        if (counters.UseAfterFree != 0 || counters.BadUnpins != 0) errors.Add($"{counters.UseAfterFree} uses after free, {counters.BadUnpins} bad unpins");
        return new Outcome(seed, violations, errors, mapsOk, rollbacks, dmaPages, dmaFaults, m.PinOracle.Exchanges, m.PinOracle.Releases,
            m.PinOracle.DmaChecked, counters.Pinned, counters.Live, d.Steps, d.TraceHash);

        int SlotOf(ulong iova) => (int)((iova - m.WindowStart) / TceMachine.Page);
    }

    private static HashSet<ulong> Slot(Dictionary<int, HashSet<ulong>> written, int slot)
    {
        if (!written.TryGetValue(slot, out var set)) written[slot] = set = [];
        return set;
    }

    private static void Check(bool condition, string what)
    {
        if (!condition) throw new InvalidOperationException(what + " failed");
    }

    /// <summary>Sends its requests one at a time, each after the previous one's reply, and reports them all.</summary>
    private sealed class Script : ReceiveActor
    {
        public static readonly object Go = new();

        public sealed record Finished(string Name, IReadOnlyList<(object Request, IReply Reply)> Steps);

        public Script(string name, IReadOnlyList<(IActorRef Target, object Request)> steps, IActorRef report)
        {
            var log = new List<(object, IReply)>();
            Receive<object>(m => ReferenceEquals(m, Go), _ => Next());
            Receive<IReply>(reply =>
            {
                log.Add((steps[log.Count].Request, reply));
                Next();
            });

            void Next()
            {
                if (log.Count == steps.Count) report.Tell(new Finished(name, log), Self);
                else steps[log.Count].Target.Tell(steps[log.Count].Request, Self);
            }
        }
    }
}
