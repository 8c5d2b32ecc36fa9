using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Expectations;
using IommuSim.Simulator.Scenarios.Expressions;
using IommuSim.Simulator.Scenarios.Topology;

namespace IommuSim.Simulator.Scenarios.Steps;

/// <summary>
/// A device's DMA engine (DeviceActor): bursts by IOVA through its IOMMU unit (or its ATC), and
/// its counters. A burst stops at the first page that faults: EFAULT (no translation), EPERM
/// (read-only), EIO (the frame is not live memory); <c>pages</c> is how many were done.
/// </summary>
public static class DeviceSteps
{
    public const string Family = "device";

    private static readonly IReadOnlyDictionary<string, ExpectType> DmaExpect =
        StepKind.Expect(("values", ExpectType.List), ("value", ExpectType.Number), ("pages", ExpectType.Number));

    public static void Register(StepCatalogue c)
    {
        c.Add(new StepKind("dma-read", Family,
            "dma-read { device, iova = EXPR | \"iova(MIRROR, ADDRESS)\", pages, name }: a DMA read burst by IOVA; binds the values",
            DmaExpect, ValueShape.List, r =>
            {
                var device = r.Entity("device", EntityKinds.Device);
                var iova = r.Expr("iova");
                var pages = r.PageCount();
                return device is null || iova is null || pages is null ? null
                    : new DmaStep(r.Info, device, c =>
                    {
                        var n = c.Eval(pages);
                        if (n > int.MaxValue) throw new ScenarioRuntimeException($"a burst of {n} pages");
                        return new DmaRead(new Iova(c.Eval(iova)), (int)n);
                    });
            }));
        c.Add(new StepKind("dma-write", Family,
            "dma-write { device, iova, values = [V, ...] | value = V }: a DMA write burst by IOVA, one value per page",
            DmaExpect, null, r =>
            {
                var device = r.Entity("device", EntityKinds.Device);
                var iova = r.Expr("iova");
                var values = r.Object.Has("value") ? r.List("value") : r.List("values");
                return device is null || iova is null || values is null ? null
                    : new DmaStep(r.Info, device, c => new DmaWrite(new Iova(c.Eval(iova)), c.Eval(values)));
            }));
        c.Add(StatsStep<DeviceStats>.Kind("device-stats", Family, "device", EntityKinds.Device, (m, n) => m.Device(n), new GetDeviceStats()));
    }

    private sealed class DmaStep(StepInfo info, string device, Func<StepContext, object> request) : Step(info)
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var call = StepContext.Call<DmaCompleted>(ctx.Run.Machine.Device(device), request(ctx));
            yield return call;
            var r = call.Reply;
            // The pages done count even for a burst that faulted part way (a race's outcome).
            ctx.Check(this, "pages", (ulong)r.Pages);
            if (!ctx.CheckErrno(this, r.Errno)) yield break;
            ctx.Check(this, "values", r.Values);
            if (r.Values.Count > 0) ctx.Check(this, "value", r.Values[0]);
            if (Info.Op == "dma-read") ctx.Bind(this, r.Values);
        }
    }
}
