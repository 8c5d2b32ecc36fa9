using IommuSim.Actors.Iommufd;
using IommuSim.Messages;
using IommuSim.Messages.Iommufd;
using IommuSim.Runtime;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Expressions;
using IommuSim.Simulator.Scenarios.Topology;

namespace IommuSim.Simulator.Scenarios.Steps;

/// <summary>
/// <c>live-migrate</c>: a VMM migrating a VM over iommufd dirty tracking (LiveMigrationDriver):
/// the devices write guest memory by DMA at a set rate (DeviceWriteWorkload) while the driver
/// enables tracking, copies all of guest RAM, then reads-and-clears and copies the dirty pages
/// round after round to the threshold, quiesces the devices, copies the rest and compares. Guest
/// RAM must already be mapped whole at <c>iova</c> in the VM's IOAS with the domains attached.
/// The destination RAM is allocated for the step and freed after it.
/// </summary>
public static class MigrationStep
{
    /// <summary>What the expect block checks (kebab-case): converged is 1 or 0; times are the system's (simulated) ns.</summary>
    private sealed record MigrationFigures(long Rounds, bool Converged, long MismatchedPages, long PagesCopied, long FinalDirtyPages, long ElapsedNs, long DowntimeNs);

    private sealed record Settings(
        string Vm,
        IReadOnlyList<string> Domains,
        IReadOnlyList<string> Devices,
        Expr Iova,
        long Threshold,
        int MaxRounds,
        int BurstPages,
        TimeSpan WriteInterval,
        int CopyBatchPages,
        double CopyNsPerPage,
        double ScanNsPerPage,
        Expr? Seed);

    public static void Register(StepCatalogue c)
    {
        var fields = StatsRecord.Fields(typeof(MigrationFigures));
        c.Add(new StepKind("live-migrate", IoasSteps.Family,
            "live-migrate { vm, devices = [DEVICE, ...], iommu-domains = [DOMAIN, ...] (omitted: every attached one), iova (where guest RAM is mapped), "
            + "threshold = 64 (pages), max-rounds = 30, burst-pages = 4, write-interval = 20us, copy-batch-pages = 256, copy-ns-per-page = 400, scan-ns-per-page = 1, seed, "
            + $"expect {{ {string.Join(", ", fields)} }} }}: a live migration while the devices write",
            StepKind.Counters(fields), ValueShape.Record(fields), Parse));
    }

    private static Step? Parse(StepReader r)
    {
        var vm = r.Entity("vm", EntityKinds.Vm);
        var devices = Names(r, "devices", EntityKinds.Device);
        if (!r.Object.Has("devices")) r.Object.Require("devices", "a list of the devices that write during the migration");
        var domains = Names(r, "iommu-domains", EntityKinds.IommuDomain);
        var iova = r.Expr("iova");
        var o = r.Object;
        var threshold = o.Int("threshold", 0, 1L << 40) ?? 64;
        var maxRounds = o.Int("max-rounds", 0, 10_000) ?? 30;
        var burst = o.Int("burst-pages", 1, 1 << 20) ?? 4;
        var interval = o.Duration("write-interval") ?? TimeSpan.FromMicroseconds(20);
        if (interval <= TimeSpan.Zero)
        {
            o.Error("write-interval", "'write-interval' must be positive");
            interval = TimeSpan.FromMicroseconds(20);
        }
        var batch = o.Int("copy-batch-pages", 1, 1 << 24) ?? 256;
        var copy = o.Int("copy-ns-per-page", 0, 1_000_000_000) ?? 400;
        var scan = o.Int("scan-ns-per-page", 0, 1_000_000_000) ?? 1;
        var seed = r.Expr("seed", required: false);
        if (vm is null || iova is null || devices.Count == 0) return null;
        return new Run(r.Info, new Settings(vm, domains, devices, iova, threshold, (int)maxRounds, (int)burst, interval, (int)batch, copy, scan, seed));
    }

    private static List<string> Names(StepReader r, string key, string kind)
    {
        var names = new List<string>();
        foreach (var (name, position) in r.Object.Names(key))
        {
            if (r.Symbols.Has(kind, name)) names.Add(name);
            else r.Object.Error(position, r.Symbols.Unknown(kind, name));
        }
        return names;
    }

    private sealed class Run(StepInfo info, Settings s) : Step(info)
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var machine = ctx.Run.Machine;
            var vm = VmsSection.Vm(machine, s.Vm);
            IReadOnlyList<IActorRef> domains = [.. s.Domains.Select(machine.IommuDomain)];
            if (domains.Count == 0)
            {
                var info = StepContext.Call<IoasInfo>(vm.Ioas, new GetIoasInfo());
                yield return info;
                domains = info.Reply.Domains;
            }
            IReadOnlyList<IActorRef> devices = [.. s.Devices.Select(machine.Device)];
            var iovaBase = new Iova(ctx.Eval(s.Iova));
            var seed = s.Seed is null ? ctx.Random(1, uint.MaxValue) : ctx.Eval(s.Seed);
            if (s.BurstPages > vm.Guest.PageCount) throw new ScenarioRuntimeException($"burst-pages {s.BurstPages} exceeds the {vm.Guest.PageCount} pages of vm {s.Vm}");
            GuestMemory destination;
            try
            {
                // The destination host's RAM, at another address of the (other) VMM.
                destination = new GuestMemory(machine.Memory, new VirtAddr(VmsSection.UserBase - (1UL << 40)), vm.Guest.Bytes);
            }
            catch (InvalidOperationException e)
            {
                throw new ScenarioRuntimeException($"no room for the destination of vm {s.Vm}: {e.Message} (raise machine.memory)");
            }
            var n = vm.NextMigration();
            var workload = machine.System.ActorOf(DeviceWriteWorkload.Props(new DeviceWriteWorkloadOptions(devices, iovaBase, vm.Guest.PageCount)
            {
                BurstPages = s.BurstPages,
                Interval = s.WriteInterval,
                Seed = seed,
            }), $"workload-{s.Vm}-{n}");
            var driver = machine.System.ActorOf(LiveMigrationDriver.Props(new LiveMigrationOptions(vm.Ioas, domains, vm.Guest, destination, iovaBase, workload)
            {
                ThresholdPages = s.Threshold,
                MaxRounds = s.MaxRounds,
                CopyBatchPages = s.CopyBatchPages,
                CopyNanosecondsPerPage = s.CopyNsPerPage,
                ScanNanosecondsPerPage = s.ScanNsPerPage,
            }), $"migration-{s.Vm}-{n}");
            try
            {
                var call = StepContext.Call<MigrationCompleted>(driver, new StartMigration());
                yield return call;
                if (call.Reply.Errno != Errno.None)
                {
                    // A failed start leaves the workload to quiesce: wait for it, so that no write outlives the step.
                    yield return StepContext.Call<DevicesQuiesced>(workload, new QuiesceDevices());
                }
                if (!ctx.CheckErrno(this, call.Reply.Errno)) yield break;
                var m = call.Reply;
                var record = StatsRecord.From(new MigrationFigures(m.Rounds.Count, m.Converged, m.MismatchedPages, m.PagesCopied, m.FinalDirtyPages,
                    (long)(m.Elapsed.Ticks * 100), (long)(m.Downtime.Ticks * 100)));
                ctx.CheckAll(this, record);
                ctx.Bind(this, record);
            }
            finally
            {
                machine.System.Stop(driver);
                machine.System.Stop(workload);
                destination.Dispose();
            }
        }
    }
}
