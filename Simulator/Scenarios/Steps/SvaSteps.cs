using System.Collections.Concurrent;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Sva;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Expectations;
using IommuSim.Simulator.Scenarios.Expressions;
using IommuSim.Simulator.Scenarios.Topology;

namespace IommuSim.Simulator.Scenarios.Steps;

/// <summary>
/// Shared virtual addressing (drivers/iommu/iommu-sva.c) through the machine's SVA core
/// (<c>machine { sva { } }</c>): bind a device to a process's mm (iommu_sva_bind_device), unbind
/// it, DMA by (PASID, virtual address) whose missing pages the device asks for with page requests
/// (I/O page faults, handled by the mm through iommu_sva_iopf_handler), and the counters.
/// </summary>
public static class SvaSteps
{
    public const string Family = "sva";

    /// <summary>The kind bonds are declared under (<c>sva-bind { bond = NAME }</c>).</summary>
    public const string BondKind = "sva-bond";

    /// <summary>What a bind step names: the bond (the handle unbind takes), its device and its PASID.</summary>
    public sealed record BondInstance(long BondId, string Device, Pasid Pasid);

    private static readonly IReadOnlyDictionary<string, ExpectType> DmaExpect =
        StepKind.Expect(("values", ExpectType.List), ("value", ExpectType.Number), ("pages", ExpectType.Number), ("page-requests", ExpectType.Number));

    private static readonly string[] BondFields = ["pasid", "users", "bond-id"];

    public static void Register(StepCatalogue c)
    {
        c.Add(new StepKind("sva-bind", Family,
            "sva-bind { bond = NEW-BOND, device, process, name, expect { errno, pasid, users } }: iommu_sva_bind_device (ENODEV without SVA, ESRCH after exit, EBUSY, ENOSPC, EOVERFLOW); binds pasid and users",
            StepKind.Expect(("pasid", ExpectType.Number), ("users", ExpectType.Number)), ValueShape.Record(BondFields), r =>
            {
                var bond = r.Object.Has("bond") ? r.NewEntity("bond", BondKind) : null;
                var device = r.Entity("device", EntityKinds.Device);
                var process = r.Entity("process", EntityKinds.Process);
                RequireCore(r);
                return device is null || process is null ? null : new BindStep(r.Info, bond, device, process);
            }));
        c.Add(new StepKind("sva-unbind", Family,
            "sva-unbind { bond }: iommu_sva_unbind_device, one user of the bond (the last detaches the PASID after flushing its faults; EINVAL once it is gone)",
            StepKind.NoExpectations, null, r =>
            {
                var bond = r.Entity("bond", BondKind);
                RequireCore(r);
                return bond is null ? null : new UnbindStep(r.Info, bond);
            }));
        c.Add(new StepKind("sva-dma-read", Family,
            "sva-dma-read { bond | device + pasid, address, pages, name, expect { errno, values, pages, page-requests } }: a DMA read by (PASID, VA), page-faulting absent pages in; binds the values",
            DmaExpect, ValueShape.List, r =>
            {
                var target = Target(r);
                var address = r.Expr("address");
                var pages = r.PageCount();
                return target is null || address is null || pages is null ? null
                    : new DmaStep(r.Info, target, (c, pasid) =>
                    {
                        var n = c.Eval(pages);
                        if (n > int.MaxValue) throw new ScenarioRuntimeException($"a burst of {n} pages");
                        return new DmaReadPasid(pasid, new VirtAddr(c.Eval(address)), (int)n);
                    });
            }));
        c.Add(new StepKind("sva-dma-write", Family,
            "sva-dma-write { bond | device + pasid, address, values = [V, ...] | value = V }: a DMA write by (PASID, VA), one value per page, page-faulting with write requests",
            DmaExpect, null, r =>
            {
                var target = Target(r);
                var address = r.Expr("address");
                var values = r.Object.Has("value") ? r.List("value") : r.List("values");
                return target is null || address is null || values is null ? null
                    : new DmaStep(r.Info, target, (c, pasid) => new DmaWritePasid(pasid, new VirtAddr(c.Eval(address)), c.Eval(values)));
            }));
        c.Add(new StepKind("sva-stats", Family,
            $"sva-stats {{ expect {{ {string.Join(", ", SvaStatsStep.Fields.Take(5))}, ... }} }}: the SVA core's counters and the units' invalidation and page-request counters ({string.Join(", ", SvaStatsStep.Fields)})",
            StepKind.Counters(SvaStatsStep.Fields), ValueShape.Record(SvaStatsStep.Fields), r =>
            {
                RequireCore(r);
                return new SvaStatsStep(r.Info);
            }));
    }

    private static void RequireCore(StepReader r)
    {
        if (!r.Symbols.Has(SvaSection.Kind, SvaSection.CoreName))
            r.Object.Error(r.Object.Position, "SVA steps need the machine's SVA core: add 'sva { }' to the machine section");
    }

    /// <summary>Whom a DMA step's burst goes to: a bond (its device and PASID), or a device and a PASID expression (a stale or foreign PASID).</summary>
    private sealed record DmaTarget(string? Bond, string? Device, Expr? Pasid);

    private static DmaTarget? Target(StepReader r)
    {
        if (r.Object.Has("bond"))
        {
            if (r.Object.Has("device") || r.Object.Has("pasid")) r.Object.Error("bond", "give 'bond', or 'device' and 'pasid', not both");
            return r.Entity("bond", BondKind) is { } bond ? new DmaTarget(bond, null, null) : null;
        }
        var device = r.Entity("device", EntityKinds.Device);
        var pasid = r.Expr("pasid");
        return device is null || pasid is null ? null : new DmaTarget(null, device, pasid);
    }

    private static ConcurrentDictionary<string, object> Bonds(Machine machine) =>
        machine.Extensions.GetOrAdd(BondKind, _ => new(StringComparer.Ordinal));

    private static BondInstance Bond(Machine machine, string name) =>
        Bonds(machine).TryGetValue(name, out var b) ? (BondInstance)b
            : throw new ScenarioRuntimeException($"sva-bond '{name}' does not exist in this run (the sva-bind that creates it failed or has not run)");

    private sealed class BindStep(StepInfo info, string? bond, string device, string process) : Step(info)
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var machine = ctx.Run.Machine;
            // The unit a device sits behind is the topology's: iommu_sva_bind_device finds it through dev->iommu.
            var unit = machine.DeviceUnit.TryGetValue(device, out var u) ? machine.Unit(u).Ref : null;
            var call = StepContext.Call<SvaBond>(SvaSection.Core(machine), new SvaBindDevice(device, unit, machine.Process(process)));
            yield return call;
            var r = call.Reply;
            if (!ctx.CheckErrno(this, r.Errno)) yield break;
            if (bond is not null) Bonds(machine)[bond] = new BondInstance(r.BondId, device, r.Pasid);
            ctx.Check(this, "pasid", (ulong)r.Pasid.Value);
            ctx.Check(this, "users", (ulong)r.Users);
            ctx.Bind(this, new Dictionary<string, ulong>(StringComparer.Ordinal)
            {
                ["pasid"] = r.Pasid.Value,
                ["users"] = (ulong)r.Users,
                ["bond-id"] = (ulong)r.BondId,
            });
        }
    }

    private sealed class UnbindStep(StepInfo info, string bond) : Step(info)
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var b = Bond(ctx.Run.Machine, bond);
            var call = StepContext.Call<Done>(SvaSection.Core(ctx.Run.Machine), new SvaUnbindDevice(b.BondId));
            yield return call;
            ctx.CheckErrno(this, call.Reply.Errno);
        }
    }

    private sealed class DmaStep(StepInfo info, DmaTarget target, Func<StepContext, Pasid, object> request) : Step(info)
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var machine = ctx.Run.Machine;
            string device;
            Pasid pasid;
            if (target.Bond is { } name)
            {
                var b = Bond(machine, name);
                (device, pasid) = (b.Device, b.Pasid);
            }
            else
            {
                device = target.Device!;
                var value = ctx.Eval(target.Pasid!);
                if (value > uint.MaxValue) throw new ScenarioRuntimeException($"PASID {value} does not fit 32 bits");
                pasid = new Pasid((uint)value);
            }
            var call = StepContext.Call<SvaDmaCompleted>(machine.Device(device), request(ctx, pasid));
            yield return call;
            var r = call.Reply;
            // Pages done and page requests count even for a burst that stopped part way (a race's outcome).
            ctx.Check(this, "pages", (ulong)r.Pages);
            ctx.Check(this, "page-requests", (ulong)r.PageRequests);
            if (!ctx.CheckErrno(this, r.Errno)) yield break;
            ctx.Check(this, "values", r.Values);
            if (r.Values.Count > 0) ctx.Check(this, "value", r.Values[0]);
            if (Info.Op == "sva-dma-read") ctx.Bind(this, r.Values);
        }
    }
}
