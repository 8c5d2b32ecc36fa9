using IommuSim.Messages;
using IommuSim.Messages.Tce;
using IommuSim.Runtime.Configuration;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Expectations;
using IommuSim.Simulator.Scenarios.Reading;
using IommuSim.Simulator.Scenarios.Topology;

namespace IommuSim.Simulator.Scenarios.Steps;

/// <summary>
/// The ioctls of a VFIO sPAPR TCE container (TceContainerActor; drivers/vfio/vfio_iommu_spapr_tce.c
/// as seed 003 leaves it): attach and detach a group (ownership of its tables), enable, disable,
/// the window info, MAP_DMA and UNMAP_DMA, and the container's counters. The devices of the group
/// DMA through the window with the device family's dma-read and dma-write. A call expected to
/// fail, run alone, is also checked to change nothing (the container's counters before and after),
/// except a MAP_DMA that failed with EFAULT: tce_iommu_build clears the entries it wrote, which
/// may have held earlier mappings.
/// </summary>
public static class TceSteps
{
    public const string Family = "tce";

    public static void Register(StepCatalogue c)
    {
        c.Add(new StepKind("tce-attach", Family,
            "tce-attach { tce-container, tce-group }: VFIO_GROUP_SET_CONTAINER (tce_iommu_attach_group): takes ownership of the group's tables; EBUSY (a group already, enabled, or tables owned or in use), EINVAL (a table without exchange)",
            StepKind.NoExpectations, null, r => GroupCall(r, g => new TceAttachGroup(g))));
        c.Add(new StepKind("tce-detach", Family,
            "tce-detach { tce-container, tce-group }: VFIO_GROUP_UNSET_CONTAINER (tce_iommu_detach_group): clears every entry, releases the pins, hands the tables back; EINVAL if not attached",
            StepKind.NoExpectations, null, r => GroupCall(r, g => new TceDetachGroup(g))));
        c.Add(new StepKind("tce-enable", Family,
            "tce-enable { tce-container }: VFIO_IOMMU_ENABLE (tce_iommu_enable): EBUSY enabled, ENODEV no group, ENOMEM past memlock-limit",
            StepKind.NoExpectations, null, r => Container(r) is { } n ? new ContainerCall<Done>(r.Info, n, _ => new TceEnable(), null) : null));
        c.Add(new StepKind("tce-disable", Family, "tce-disable { tce-container }: VFIO_IOMMU_DISABLE (tce_iommu_disable)",
            StepKind.NoExpectations, null, r => Container(r) is { } n ? new ContainerCall<Done>(r.Info, n, _ => new TceDisable(), null) : null));
        c.Add(StatsStep<TceInfo>.Kind("tce-info", Family, "tce-container", EntityKinds.TceContainer, (m, n) => m.TceContainer(n), new TceGetInfo()));
        c.Add(new StepKind("tce-map", Family,
            "tce-map { tce-container, vaddr, iova, length | pages, flags = rw | r | w | none | [read, write] | NUMBER }: VFIO_IOMMU_MAP_DMA of the container's process memory; EPERM not enabled, ENXIO no window, EINVAL bad size, flags or address, EFAULT a page that cannot be pinned (the entries written are cleared)",
            StepKind.NoExpectations, null, r =>
            {
                var container = Container(r);
                var vaddr = r.Expr("vaddr");
                var iova = r.Expr("iova");
                var length = r.Length();
                var flags = MapFlags(r.Object, "flags");
                return container is null || vaddr is null || iova is null || length is null || flags is null ? null
                    : new ContainerCall<Done>(r.Info, container, ctx => new VfioMapDma(ctx.Eval(vaddr), ctx.Eval(iova), ctx.Eval(length), flags.Value), null);
            }));
        c.Add(new StepKind("tce-unmap", Family,
            "tce-unmap { tce-container, iova, length | pages, flags = 0 }: VFIO_IOMMU_UNMAP_DMA: every entry of the range exchanged with an empty one, the pages released (dirty if the device could write them)",
            StepKind.NoExpectations, null, r =>
            {
                var container = Container(r);
                var iova = r.Expr("iova");
                var length = r.Length();
                var flags = r.Object.Int("flags", 0, uint.MaxValue) ?? 0;
                return container is null || iova is null || length is null ? null
                    : new ContainerCall<Done>(r.Info, container, ctx => new VfioUnmapDma(ctx.Eval(iova), ctx.Eval(length), (uint)flags), null);
            }));
        c.Add(new StepKind("tce-writeback", Family,
            "tce-writeback { expect { cleaned = N } }: writeback of every page of System RAM (clear_page_dirty_for_io on each live frame), so that a dirty page afterwards is one a TCE release (or a later store) dirtied",
            StepKind.Expect(("cleaned", ExpectType.Number)), null, r => new WritebackStep(r.Info)));
        c.Add(StatsStep<TceContainerStats>.Kind("tce-stats", Family, "tce-container", EntityKinds.TceContainer, (m, n) => m.TceContainer(n), new GetTceContainerStats()));
    }

    private static string? Container(StepReader r) => r.Entity("tce-container", EntityKinds.TceContainer);

    private static Step? GroupCall(StepReader r, Func<string, object> request)
    {
        var container = Container(r);
        var group = r.Entity("tce-group", EntityKinds.TceGroup);
        return container is null || group is null ? null : new ContainerCall<Done>(r.Info, container, _ => request(group), null);
    }

    /// <summary>
    /// VFIO_DMA_MAP_FLAG_READ / _WRITE as <c>rw</c>, <c>r</c>, <c>w</c>, <c>none</c>, a list of
    /// read and write, or the raw number (to send flags the kernel refuses). Default: rw.
    /// </summary>
    private static VfioDmaMapFlags? MapFlags(ObjectReader obj, string key)
    {
        var v = obj.Value(key);
        if (v is null) return VfioDmaMapFlags.Read | VfioDmaMapFlags.Write;
        if (v is ConfigNumber n)
        {
            if (n.TryGetInt64(out var raw) && raw is >= 0 and <= uint.MaxValue) return (VfioDmaMapFlags)(uint)raw;
            obj.Error(key, $"'{key}' as a number must be 0 to {uint.MaxValue}");
            return null;
        }
        var words = v switch
        {
            ConfigString s => s.Value.Split([',', '|', '+', ' '], StringSplitOptions.RemoveEmptyEntries),
            ConfigArray a => a.OfType<ConfigString>().Select(x => x.Value).ToArray(),
            _ => ["?"],
        };
        var flags = VfioDmaMapFlags.None;
        foreach (var w in words)
        {
            switch (w)
            {
                case "rw": flags |= VfioDmaMapFlags.Read | VfioDmaMapFlags.Write; break;
                case "r" or "read": flags |= VfioDmaMapFlags.Read; break;
                case "w" or "write": flags |= VfioDmaMapFlags.Write; break;
                case "none": break;
                default:
                    obj.Error(key, $"'{key}' must be rw, r, w, none, a list of read and write, or a number, not {ObjectReader.Describe(v)}");
                    return null;
            }
        }
        return flags;
    }

    /// <summary>Cleans every live page of System RAM; "cleaned" is how many were dirty.</summary>
    private sealed class WritebackStep(StepInfo info) : Step(info)
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var memory = ctx.Run.Machine.Memory;
            var ram = memory.SystemRam;
            ulong cleaned = 0;
            for (ulong i = 0; i < ram.Frames; i++)
            {
                var pfn = ram.BasePfn + i;
                // TestClearPageDirty is atomic on the frame, so this is sound beside running actors.
                if (memory.IsPageLive(pfn) && memory.TestClearPageDirty(pfn, out var was) == Errno.None && was) cleaned++;
            }
            ctx.Check(this, "cleaned", cleaned);
            yield break;
        }
    }

    /// <summary>One ioctl on a container, answered by <typeparamref name="T"/>; a failure expected while alone is checked to change nothing.</summary>
    private sealed class ContainerCall<T>(StepInfo info, string container, Func<StepContext, object> request, Action<Step, StepContext, T>? onSuccess) : Step(info)
        where T : class, IReply
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var target = ctx.Run.Machine.TceContainer(container);
            var message = request(ctx);
            TceContainerStats? before = null;
            if (ctx.Sequential && Info.Expect.Errno.ExpectsFailure)
            {
                var s = StepContext.Call<TceContainerStats>(target, new GetTceContainerStats());
                yield return s;
                before = s.Reply;
            }
            var call = StepContext.Call<T>(target, message);
            yield return call;
            var errno = call.Reply.Errno;
            if (ctx.CheckErrno(this, errno)) onSuccess?.Invoke(this, ctx, call.Reply);
            // tce_iommu_build's rollback after a failed pin legitimately changes entries.
            if (before is null || errno == Errno.None || (message is VfioMapDma && errno == Errno.EFAULT)) yield break;
            var after = StepContext.Call<TceContainerStats>(target, new GetTceContainerStats());
            yield return after;
            var changes = Changes(before, after.Reply);
            if (changes.Count > 0)
                ctx.Run.Violation(MmSteps.FailedCallInvariant, this,
                    $"{message.GetType().Name} failed with {errno} but changed tce-container {container}: {string.Join(", ", changes)}", [target.Path.Name]);
        }

        private static List<string> Changes(TceContainerStats a, TceContainerStats b)
        {
            var changes = new List<string>();
            void Compare(string what, long x, long y)
            {
                if (x != y) changes.Add($"{what} {x} -> {y}");
            }
            Compare("enabled", a.Enabled ? 1 : 0, b.Enabled ? 1 : 0);
            Compare("groups", a.Groups, b.Groups);
            Compare("locked pages", a.LockedPages, b.LockedPages);
            Compare("pinned pages", a.PinnedPages, b.PinnedPages);
            Compare("valid TCEs", a.ValidTces, b.ValidTces);
            Compare("exchanges", a.Exchanges, b.Exchanges);
            return changes;
        }
    }
}
