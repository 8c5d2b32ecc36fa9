using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Runtime;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Expectations;
using IommuSim.Simulator.Scenarios.Expressions;
using IommuSim.Simulator.Scenarios.Topology;

namespace IommuSim.Simulator.Scenarios.Steps;

/// <summary>
/// The IOMMU API on a domain (IommuDomainActor; drivers/iommu/iommu.c and dma-iommu.c): map and
/// unmap (the unmap flushes and syncs the IOTLB before it answers), attach and detach a device,
/// the DMA API of DMA and DMA-FQ domains, a flush-all, and the domain's and unit's counters.
/// </summary>
public static class IommuSteps
{
    public const string Family = "iommu";

    public static void Register(StepCatalogue c)
    {
        c.Add(new StepKind("iommu-map", Family,
            "iommu-map { iommu-domain, iova, phys, length | pages, prot = rw }: iommu_map",
            StepKind.NoExpectations, null, r =>
            {
                var domain = r.Entity("iommu-domain", EntityKinds.IommuDomain);
                var iova = r.Expr("iova");
                var phys = r.Expr("phys");
                var length = r.Length();
                var prot = IommuProtOf(r);
                return domain is null || iova is null || phys is null || length is null || prot is null ? null
                    : new DomainCall<Done>(r.Info, domain, c => new IommuMap(new Iova(c.Eval(iova)), new PhysAddr(c.Eval(phys)), c.Eval(length), prot.Value), null);
            }));
        c.Add(new StepKind("iommu-unmap", Family,
            "iommu-unmap { iommu-domain, iova, length | pages, expect { unmapped = BYTES } }: iommu_unmap (answers after the IOTLB sync)",
            StepKind.Expect(("unmapped", ExpectType.Number)), null, r =>
            {
                var domain = r.Entity("iommu-domain", EntityKinds.IommuDomain);
                var iova = r.Expr("iova");
                var length = r.Length();
                return domain is null || iova is null || length is null ? null
                    : new DomainCall<IommuUnmapped>(r.Info, domain, c => new IommuUnmap(new Iova(c.Eval(iova)), c.Eval(length)),
                        (s, c, reply) => c.Check(s, "unmapped", reply.Size));
            }));
        c.Add(new StepKind("dma-map", Family,
            "dma-map { iommu-domain, phys, length | pages, prot = rw, name }: the DMA API (iommu_dma_map_page) on a DMA or DMA-FQ domain; binds the IOVA",
            StepKind.Expect(("iova", ExpectType.Number)), ValueShape.Number, r =>
            {
                var domain = r.Entity("iommu-domain", EntityKinds.IommuDomain);
                var phys = r.Expr("phys");
                var length = r.Length();
                var prot = IommuProtOf(r);
                return domain is null || phys is null || length is null || prot is null ? null
                    : new DomainCall<DmaMapped>(r.Info, domain, c => new DmaMap(new PhysAddr(c.Eval(phys)), c.Eval(length), prot.Value),
                        (s, c, reply) =>
                        {
                            c.Check(s, "iova", reply.Iova.Value);
                            c.Bind(s, reply.Iova.Value);
                        });
            }));
        c.Add(new StepKind("dma-unmap", Family,
            "dma-unmap { iommu-domain, iova, length | pages }: iommu_dma_unmap_page (strict: synced before the answer; DMA-FQ: queued)",
            StepKind.Expect(("unmapped", ExpectType.Number)), null, r =>
            {
                var domain = r.Entity("iommu-domain", EntityKinds.IommuDomain);
                var iova = r.Expr("iova");
                var length = r.Length();
                return domain is null || iova is null || length is null ? null
                    : new DomainCall<IommuUnmapped>(r.Info, domain, c => new DmaUnmap(new Iova(c.Eval(iova)), c.Eval(length)),
                        (s, c, reply) => c.Check(s, "unmapped", reply.Size));
            }));
        c.Add(new StepKind("flush-iotlb-all", Family, "flush-iotlb-all { iommu-domain }: iommu_flush_iotlb_all (also drains a flush queue)",
            StepKind.NoExpectations, null, r => r.Entity("iommu-domain", EntityKinds.IommuDomain) is { } d
                ? new DomainCall<Done>(r.Info, d, _ => new IommuFlushIotlbAll(), null) : null));
        c.Add(new StepKind("attach", Family, "attach { iommu-domain, device }: attach the device if the domain's unit and configuration fit, else EINVAL",
            StepKind.NoExpectations, null, r =>
            {
                var domain = r.Entity("iommu-domain", EntityKinds.IommuDomain);
                var device = r.Entity("device", EntityKinds.Device);
                return domain is null || device is null ? null
                    : new DomainCall<Done>(r.Info, domain, c => new AttachDevice(device, c.Run.Machine.DeviceUnit.GetValueOrDefault(device)
                        ?? throw new ScenarioRuntimeException($"device {device} has no unit")), null);
            }));
        c.Add(new StepKind("detach", Family, "detach { iommu-domain, device }: iommu_detach_device (EINVAL if it is not attached there)",
            StepKind.NoExpectations, null, r =>
            {
                var domain = r.Entity("iommu-domain", EntityKinds.IommuDomain);
                var device = r.Entity("device", EntityKinds.Device);
                return domain is null || device is null ? null : new DomainCall<Done>(r.Info, domain, _ => new DetachDevice(device), null);
            }));
        c.Add(StatsStep<IommuDomainStats>.Kind("iommu-domain-stats", Family, "iommu-domain", EntityKinds.IommuDomain, (m, n) => m.IommuDomain(n), new GetIommuDomainStats()));
        c.Add(StatsStep<IommuUnitStats>.Kind("iommu-unit-stats", Family, "unit", EntityKinds.Unit, (m, n) => m.Unit(n).Ref, new GetIommuUnitStats()));
    }

    private static IommuProt? IommuProtOf(StepReader r) => r.Prot("prot", Messages.Mm.Prot.Read | Messages.Mm.Prot.Write) is { } p
        ? (IommuProt)(int)p
        : null;

    /// <summary>One request to an IOMMU domain, answered by <typeparamref name="T"/>.</summary>
    private sealed class DomainCall<T>(StepInfo info, string domain, Func<StepContext, object> request, Action<Step, StepContext, T>? onSuccess) : Step(info)
        where T : class, IReply
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            IActorRef target = ctx.Run.Machine.IommuDomain(domain);
            var call = StepContext.Call<T>(target, request(ctx));
            yield return call;
            if (ctx.CheckErrno(this, call.Reply.Errno)) onSuccess?.Invoke(this, ctx, call.Reply);
        }
    }
}
