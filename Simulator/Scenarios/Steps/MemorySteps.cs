using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Expectations;
using IommuSim.Simulator.Scenarios.Expressions;

namespace IommuSim.Simulator.Scenarios.Steps;

/// <summary>
/// Physical memory as a kernel driver uses it (for iommu-map and the DMA API): allocate and free
/// pages, read and write their value, and the machine's page accounting. These run in the step's
/// own actor, as a driver's code runs in its thread (PhysicalMemory is safe to share).
/// </summary>
public static class MemorySteps
{
    public const string Family = "memory";

    public static void Register(StepCatalogue c)
    {
        c.Add(new StepKind("alloc-pages", Family, "alloc-pages { pages, name }: alloc_page() each; binds the list of physical addresses (name[i])",
            StepKind.NoExpectations, ValueShape.List, r => r.PageCount() is { } pages ? new AllocStep(r.Info, pages) : null));
        c.Add(new StepKind("free-pages", Family, "free-pages { pages = NAME }: put_page() each page alloc-pages bound to NAME",
            StepKind.NoExpectations, null, r =>
            {
                var name = r.Object.String("pages", required: true);
                if (name is null) return null;
                if (r.Symbols.Value(name) != ValueShape.List)
                {
                    r.Object.Error("pages", $"'{name}' is not a list of pages bound by alloc-pages");
                    return null;
                }
                return new FreeStep(r.Info, name);
            }));
        c.Add(new StepKind("phys-write", Family, "phys-write { phys, value }: store a value in a physical page (the CPU, through the direct map)",
            StepKind.NoExpectations, null, r =>
            {
                var phys = r.Expr("phys");
                var value = r.Expr("value");
                return phys is null || value is null ? null : new PhysStep(r.Info, phys, value);
            }));
        c.Add(new StepKind("phys-read", Family, "phys-read { phys, expect { value = V } }: load the value of a physical page",
            StepKind.Expect(("value", ExpectType.Number)), ValueShape.Number, r => r.Expr("phys") is { } phys ? new PhysStep(r.Info, phys, null) : null));
        c.Add(new StepKind("memory-stats", Family,
            $"memory-stats {{ expect {{ {string.Join(", ", StatsRecord.Fields(typeof(MemoryCounters)))} }} }}: the machine's page accounting",
            StepKind.Counters(StatsRecord.Fields(typeof(MemoryCounters))), ValueShape.Record(StatsRecord.Fields(typeof(MemoryCounters))),
            r => new MemoryStatsStep(r.Info)));
    }

    private sealed class AllocStep(StepInfo info, Expr pages) : Step(info)
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var n = ctx.Eval(pages);
            if (n > ListExpr.MaxElements) throw new ScenarioRuntimeException($"alloc-pages of {n} pages");
            var memory = ctx.Run.Machine.Memory;
            var addresses = new List<ulong>();
            var errno = Errno.None;
            for (ulong i = 0; i < n; i++)
            {
                errno = memory.AllocPage(out var pfn);
                if (errno != Errno.None) break;
                ctx.Run.Machine.DriverPages[pfn] = true;
                addresses.Add(pfn.ToPhys().Value);
            }
            if (errno != Errno.None)
            {
                // All or nothing, as a failed call must be.
                foreach (var a in addresses) Free(ctx, new PhysAddr(a).Pfn);
                addresses.Clear();
            }
            if (ctx.CheckErrno(this, errno)) ctx.Bind(this, addresses);
            yield break;
        }
    }

    private sealed class FreeStep(StepInfo info, string name) : Step(info)
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var errno = Errno.None;
            var pages = ctx.Bindings.List(name) ?? throw new ScenarioRuntimeException($"'{name}' is not a list of pages bound in this run");
            foreach (var phys in pages)
            {
                var e = Free(ctx, new PhysAddr(phys).Pfn);
                if (errno == Errno.None) errno = e;
            }
            ctx.CheckErrno(this, errno);
            yield break;
        }
    }

    private static Errno Free(StepContext ctx, Pfn pfn) =>
        ctx.Run.Machine.DriverPages.TryRemove(pfn, out _) ? ctx.Run.Machine.Memory.PutPage(pfn) : Errno.EINVAL;

    private sealed class PhysStep(StepInfo info, Expr phys, Expr? value) : Step(info)
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var pfn = new PhysAddr(ctx.Eval(phys)).Pfn;
            var memory = ctx.Run.Machine.Memory;
            if (value is not null)
            {
                ctx.CheckErrno(this, memory.WritePage(pfn, ctx.Eval(value)));
                yield break;
            }
            var errno = memory.ReadPage(pfn, out var v);
            if (!ctx.CheckErrno(this, errno)) yield break;
            ctx.Check(this, "value", v);
            ctx.Bind(this, v);
        }
    }

    private sealed class MemoryStatsStep(StepInfo info) : Step(info)
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var record = StatsRecord.From(ctx.Run.Machine.Memory.Counters);
            ctx.CheckAll(this, record);
            ctx.Bind(this, record);
            yield break;
        }
    }
}
