using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Expectations;
using IommuSim.Simulator.Scenarios.Expressions;
using IommuSim.Simulator.Scenarios.Topology;

namespace IommuSim.Simulator.Scenarios.Steps;

/// <summary>
/// The dmirror device's ioctls (lib/test_hmm.c, as tools/testing/selftests/mm/hmm-tests.c drives
/// them) on a mirror (HmmMirrorActor): open, device read and write, migration to and from device
/// memory, release, snapshot, exclusive access, and the mirror's counters.
/// </summary>
public static class MirrorSteps
{
    public const string Family = "mirror";

    /// <summary>The HMM_DMIRROR_PROT_* snapshot flags by name, for <c>expect { prot = [zero | read, ...] }</c>.</summary>
    public static readonly IReadOnlyDictionary<string, ulong> SnapshotFlags = new Dictionary<string, ulong>(StringComparer.Ordinal)
    {
        ["error"] = HmmDmirrorProt.Error,
        ["none"] = HmmDmirrorProt.None,
        ["read"] = HmmDmirrorProt.Read,
        ["write"] = HmmDmirrorProt.Write,
        ["pmd"] = HmmDmirrorProt.Pmd,
        ["pud"] = HmmDmirrorProt.Pud,
        ["zero"] = HmmDmirrorProt.Zero,
        ["local"] = HmmDmirrorProt.DevPrivateLocal,
        ["remote"] = HmmDmirrorProt.DevPrivateRemote,
    };

    private static readonly IReadOnlyDictionary<string, ExpectType> CmdExpect =
        StepKind.Expect(("values", ExpectType.List), ("value", ExpectType.Number), ("cpages", ExpectType.Number), ("faults", ExpectType.Number));

    public static void Register(StepCatalogue c)
    {
        c.Add(new StepKind("mirror-open", Family,
            "mirror-open { mirror = NEW-MIRROR, process, device, iommu-domain = DOMAIN | none, reclaim = eager | on-munmap }: a device mirrors a process (EINVAL if it already does)",
            StepKind.NoExpectations, null, r =>
            {
                var name = r.NewEntity("mirror", EntityKinds.Mirror);
                var spec = name is null ? null : MirrorsSection.ReadSpec(name, r.Object, r.Symbols);
                return spec is null ? null : new OpenStep(r.Info, spec);
            }));
        c.Add(Command("device-read", "device-read { mirror, address, pages, name }: HMM_DMIRROR_READ, faulting pages in; binds the values", true,
            (r, a) => r.PageCount() is { } p ? c => new MirrorRead(new VirtAddr(c.Eval(a)), c.Eval(p)) : null));
        c.Add(Command("device-write", "device-write { mirror, address, values = [V, ...] | value = V }: HMM_DMIRROR_WRITE, one value per page", false,
            (r, a) => (r.Object.Has("value") ? r.List("value") : r.List("values")) is { } v ? c => new MirrorWrite(new VirtAddr(c.Eval(a)), c.Eval(v)) : null));
        c.Add(Command("migrate-to-device", "migrate-to-device { mirror, address, pages, name }: HMM_DMIRROR_MIGRATE_TO_DEV, then reads the pages back", true,
            (r, a) => r.PageCount() is { } p ? c => new MirrorMigrateToDevice(new VirtAddr(c.Eval(a)), c.Eval(p)) : null));
        c.Add(Command("migrate-to-system", "migrate-to-system { mirror, address, pages }: HMM_DMIRROR_MIGRATE_TO_SYS (cpages = pages migrated)", false,
            (r, a) => r.PageCount() is { } p ? c => new MirrorMigrateToSystem(new VirtAddr(c.Eval(a)), c.Eval(p)) : null));
        c.Add(Command("exclusive", "exclusive { mirror, address, pages, name }: HMM_DMIRROR_EXCLUSIVE (make_device_exclusive), then reads back", true,
            (r, a) => r.PageCount() is { } p ? c => new MirrorExclusive(new VirtAddr(c.Eval(a)), c.Eval(p)) : null));
        c.Add(new StepKind("mirror-release", Family, "mirror-release { mirror }: HMM_DMIRROR_RELEASE, the device memory migrates back (cpages)",
            CmdExpect, null, r => r.Entity("mirror", EntityKinds.Mirror) is { } m ? new CommandStep(r.Info, m, _ => new MirrorRelease(), false) : null));
        c.Add(new StepKind("check-exclusive", Family, "check-exclusive { mirror, address, pages }: HMM_DMIRROR_CHECK_EXCLUSIVE, EPERM while a page is still mapped for atomic access",
            StepKind.NoExpectations, null, r =>
            {
                var mirror = r.Entity("mirror", EntityKinds.Mirror);
                var address = r.Expr("address");
                var pages = r.PageCount();
                return mirror is null || address is null || pages is null ? null
                    : new DoneStep(r.Info, mirror, c => new MirrorCheckExclusive(new VirtAddr(c.Eval(address)), c.Eval(pages)));
            }));
        c.Add(new StepKind("snapshot", Family,
            "snapshot { mirror, address, pages, name, expect { prot = [zero | read, write, none, error, local | write, remote | write, ...] } }: HMM_DMIRROR_SNAPSHOT without faulting; binds the bytes",
            StepKind.Expect(("prot", ExpectType.List), ("cpages", ExpectType.Number)), ValueShape.List, r =>
            {
                var mirror = r.Entity("mirror", EntityKinds.Mirror);
                var address = r.Expr("address");
                var pages = r.PageCount();
                return mirror is null || address is null || pages is null ? null : new SnapshotStep(r.Info, mirror, address, pages);
            }) { ExpectConstants = SnapshotFlags });
        c.Add(StatsStep<MirrorStats>.Kind("mirror-stats", Family, "mirror", EntityKinds.Mirror, (m, n) => m.Mirror(n).Actor, new GetMirrorStats()));
    }

    private static StepKind Command(string op, string usage, bool bindsValues, Func<StepReader, Expr, Func<StepContext, object>?> request) =>
        new(op, Family, usage, CmdExpect, bindsValues ? ValueShape.List : null, r =>
        {
            var mirror = r.Entity("mirror", EntityKinds.Mirror);
            var address = r.Expr("address");
            var make = address is null ? null : request(r, address);
            return mirror is null || make is null ? null : new CommandStep(r.Info, mirror, make, bindsValues);
        });

    /// <summary>Opens a mirror at run time and checks its registration's errno (EINVAL: the device already mirrors the process).</summary>
    private sealed class OpenStep(StepInfo info, MirrorsSection.MirrorSpec spec) : Step(info)
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var actor = MirrorsSection.Open(ctx.Run.Machine, spec);
            var registration = Errno.None;
            foreach (var i in MirrorsSection.AwaitRegistration(actor, e => registration = e)) yield return i;
            ctx.CheckErrno(this, registration);
        }
    }

    /// <summary>A dmirror command answered by <see cref="MirrorCmdReply"/>: checks cpages, faults and the values read.</summary>
    private sealed class CommandStep(StepInfo info, string mirror, Func<StepContext, object> request, bool bindsValues) : Step(info)
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var call = StepContext.Call<MirrorCmdReply>(ctx.Run.Machine.Mirror(mirror).Actor, request(ctx));
            yield return call;
            var r = call.Reply;
            if (!ctx.CheckErrno(this, r.Errno)) yield break;
            ctx.Check(this, "cpages", r.CPages);
            ctx.Check(this, "faults", r.Faults);
            ctx.Check(this, "values", r.Values);
            if (r.Values.Count > 0) ctx.Check(this, "value", r.Values[0]);
            if (bindsValues) ctx.Bind(this, r.Values);
        }
    }

    private sealed class DoneStep(StepInfo info, string mirror, Func<StepContext, object> request) : Step(info)
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var call = StepContext.Call<Done>(ctx.Run.Machine.Mirror(mirror).Actor, request(ctx));
            yield return call;
            ctx.CheckErrno(this, call.Reply.Errno);
        }
    }

    private sealed class SnapshotStep(StepInfo info, string mirror, Expr address, Expr pages) : Step(info)
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var call = StepContext.Call<MirrorSnapshotReply>(ctx.Run.Machine.Mirror(mirror).Actor,
                new MirrorSnapshot(new VirtAddr(ctx.Eval(address)), ctx.Eval(pages)));
            yield return call;
            var r = call.Reply;
            if (!ctx.CheckErrno(this, r.Errno)) yield break;
            var prot = r.Prot.Select(b => (ulong)b).ToList();
            ctx.Check(this, "cpages", r.CPages);
            ctx.Check(this, "prot", prot);
            ctx.Bind(this, prot);
        }
    }
}
