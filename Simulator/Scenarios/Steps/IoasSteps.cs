using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Iommufd;
using IommuSim.Runtime;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Expectations;
using IommuSim.Simulator.Scenarios.Expressions;
using IommuSim.Simulator.Scenarios.Topology;

namespace IommuSim.Simulator.Scenarios.Steps;

/// <summary>
/// The iommufd IOAS of a VM (IoasActor, drivers/iommu/iommufd/ioas.c and io_pagetable.c, seed
/// 004): IOMMU_IOAS_MAP and UNMAP, attaching and detaching hardware page tables (IOMMU domains),
/// IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_GET_DIRTY_BITMAP and the IOAS's counters. The live
/// migration step is <see cref="MigrationStep"/>.
/// </summary>
public static class IoasSteps
{
    public const string Family = "ioas";

    public static void Register(StepCatalogue c)
    {
        c.Add(new StepKind("ioas-map", Family,
            "ioas-map { vm, offset = 0 | address, length | pages, iova (IOMMU_IOAS_MAP_FIXED_IOVA; omitted: the IOAS chooses), prot = rw, name }: IOMMU_IOAS_MAP of guest RAM; binds the IOVA",
            StepKind.Expect(("iova", ExpectType.Number)), ValueShape.Number, r =>
            {
                var vm = r.Entity("vm", EntityKinds.Vm);
                var offset = r.Expr("offset", required: false);
                var address = r.Expr("address", required: false);
                if (offset is not null && address is not null) r.Object.Error("address", "give 'offset' (into guest RAM) or 'address' (in the VMM), not both");
                var length = r.Length();
                var iova = r.Expr("iova", required: false);
                var prot = ProtOf(r);
                return vm is null || length is null || prot is null ? null
                    : new IoasCall<IoasMapped>(r.Info, vm, (c, v) =>
                    {
                        var user = address is not null ? c.Eval(address) : VmsSection.UserBase + (offset is null ? 0 : c.Eval(offset));
                        return new IoasMap(new VirtAddr(user), c.Eval(length), prot.Value, iova is null ? null : new Iova(c.Eval(iova)));
                    },
                    (s, c, reply) =>
                    {
                        c.Check(s, "iova", reply.Iova.Value);
                        c.Bind(s, reply.Iova.Value);
                    });
            }));
        c.Add(new StepKind("ioas-unmap", Family,
            "ioas-unmap { vm, iova, length | pages | all = true, expect { unmapped = BYTES } }: IOMMU_IOAS_UNMAP (every area inside the range, whole; all: iova 0, length UINT64_MAX)",
            StepKind.Expect(("unmapped", ExpectType.Number)), null, r =>
            {
                var vm = r.Entity("vm", EntityKinds.Vm);
                var all = r.Object.Bool("all") ?? false;
                Expr? iova = null, length = null;
                if (!all)
                {
                    iova = r.Expr("iova");
                    length = r.Length();
                }
                return vm is null || (!all && (iova is null || length is null)) ? null
                    : new IoasCall<IoasUnmapped>(r.Info, vm, (c, _) => all ? IoasUnmap.All : new IoasUnmap(new Iova(c.Eval(iova!)), c.Eval(length!)),
                        (s, c, reply) => c.Check(s, "unmapped", reply.Bytes));
            }));
        c.Add(DomainKind("ioas-attach", "ioas-attach { vm, iommu-domain }: iopt_table_add_domain (maps every area into the hardware page table)",
            d => new IoasAttachDomain(d)));
        c.Add(DomainKind("ioas-detach", "ioas-detach { vm, iommu-domain }: iopt_table_remove_domain (ENOENT if it is not attached)",
            d => new IoasDetachDomain(d)));
        c.Add(new StepKind("set-dirty-tracking", Family,
            "set-dirty-tracking { vm, iommu-domain, enable = true }: IOMMU_HWPT_SET_DIRTY_TRACKING (EOPNOTSUPP without dirty tracking, ENOENT if not attached)",
            StepKind.NoExpectations, null, r =>
            {
                var vm = r.Entity("vm", EntityKinds.Vm);
                var domain = r.Entity("iommu-domain", EntityKinds.IommuDomain);
                var enable = r.Object.Bool("enable") ?? true;
                return vm is null || domain is null ? null
                    : new IoasCall<Done>(r.Info, vm, (c, _) => new IoasSetDirtyTracking(c.Run.Machine.IommuDomain(domain), enable), null);
            }));
        c.Add(new StepKind("get-dirty-bitmap", Family,
            "get-dirty-bitmap { vm, iommu-domain (omitted: every attached one), iova, length | pages, page-size = 4KiB, no-clear = false, name, expect { dirty = [BIT, ...], count = N } }: IOMMU_HWPT_GET_DIRTY_BITMAP; binds the set bits",
            StepKind.Expect(("dirty", ExpectType.List), ("count", ExpectType.Number)), ValueShape.List, r =>
            {
                var vm = r.Entity("vm", EntityKinds.Vm);
                var domain = r.Entity("iommu-domain", EntityKinds.IommuDomain, required: false);
                var iova = r.Expr("iova");
                var length = r.Length();
                var pageSize = r.Expr("page-size", required: false);
                var flags = r.Object.Bool("no-clear") ?? false ? DirtyBitmapFlags.NoClear : DirtyBitmapFlags.None;
                return vm is null || iova is null || length is null ? null
                    : new IoasCall<IoasDirtyBitmap>(r.Info, vm, (c, _) => new IoasGetDirtyBitmap(
                            domain is null ? null : c.Run.Machine.IommuDomain(domain), new Iova(c.Eval(iova)), c.Eval(length),
                            pageSize is null ? PageSize.Size4K.Bytes : c.Eval(pageSize), flags),
                        (s, c, reply) =>
                        {
                            IReadOnlyList<ulong> bits = [.. reply.SetBits().Select(b => (ulong)b)];
                            c.Check(s, "dirty", bits);
                            c.Check(s, "count", (ulong)bits.Count);
                            c.Bind(s, bits);
                        });
            }));
        var statsFields = StatsRecord.Fields(typeof(IoasStats));
        c.Add(new StepKind("ioas-stats", Family,
            $"ioas-stats {{ vm, expect {{ {string.Join(", ", statsFields)} }} }}: the IOAS's areas, domains and pins",
            StepKind.Counters(statsFields), ValueShape.Record(statsFields), r =>
                r.Entity("vm", EntityKinds.Vm) is { } vm
                    ? new IoasCall<IoasInfo>(r.Info, vm, (_, _) => new GetIoasInfo(), (s, c, info) =>
                    {
                        var record = StatsRecord.From(IoasStats.Of(info));
                        c.CheckAll(s, record);
                        c.Bind(s, record);
                    })
                    : null));
        MigrationStep.Register(c);
    }

    private static StepKind DomainKind(string op, string usage, Func<IActorRef, IIoasRequest> request) =>
        new(op, Family, usage, StepKind.NoExpectations, null, r =>
        {
            var vm = r.Entity("vm", EntityKinds.Vm);
            var domain = r.Entity("iommu-domain", EntityKinds.IommuDomain);
            return vm is null || domain is null ? null
                : new IoasCall<Done>(r.Info, vm, (c, _) => request(c.Run.Machine.IommuDomain(domain)), null);
        });

    private static IommuProt? ProtOf(StepReader r) => r.Prot("prot", Messages.Mm.Prot.Read | Messages.Mm.Prot.Write) is { } p
        ? (IommuProt)(int)p
        : null;

    /// <summary>The counters <c>ioas-stats</c> checks: what IOMMU_IOAS_IOVA_RANGES and the IOAS's accounting show.</summary>
    private sealed record IoasStats(int Areas, int Domains, long PinnedPages, ulong MappedBytes, ulong IovaAlignment, int UsableRanges)
    {
        public static IoasStats Of(IoasInfo info) => new(info.Areas.Count, info.Domains.Count, info.PinnedPages,
            info.Areas.Aggregate(0UL, (sum, a) => sum + a.Iova.Length), info.IovaAlignment, info.Usable.Count);
    }

    /// <summary>One request to a VM's IOAS, answered by <typeparamref name="T"/>.</summary>
    private sealed class IoasCall<T>(StepInfo info, string vm, Func<StepContext, VmInstance, object> request, Action<Step, StepContext, T>? onSuccess) : Step(info)
        where T : class, IReply
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var instance = VmsSection.Vm(ctx.Run.Machine, vm);
            var call = StepContext.Call<T>(instance.Ioas, request(ctx, instance));
            yield return call;
            if (ctx.CheckErrno(this, call.Reply.Errno)) onSuccess?.Invoke(this, ctx, call.Reply);
        }
    }
}
