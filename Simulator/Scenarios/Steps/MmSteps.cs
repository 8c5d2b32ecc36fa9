using IommuSim.Messages;
using IommuSim.Messages.Mm;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Expectations;
using IommuSim.Simulator.Scenarios.Expressions;
using IommuSim.Simulator.Scenarios.Topology;

namespace IommuSim.Simulator.Scenarios.Steps;

/// <summary>
/// The process's system calls on its mm (MmActor): mmap, munmap, mprotect, mremap, fork, exit,
/// CPU loads and stores, and its counters. Errnos are the kernel's (mm/mmap.c, mm/mprotect.c,
/// mm/mremap.c). A call expected to fail, run alone, is also checked to change nothing: the mm's
/// counters and the machine's live pages are compared before and after.
/// </summary>
public static class MmSteps
{
    public const string Family = "mm";

    /// <summary>The runner's own invariant for "a failed call changes nothing" (DESIGN.md).</summary>
    public const string FailedCallInvariant = "failed-call-changes-nothing";

    public static void Register(StepCatalogue c)
    {
        c.Add(new StepKind("mmap", Family,
            "mmap { process, length | pages, prot = rw, shared = false, at = ADDRESS (MAP_FIXED), name }: binds the address",
            StepKind.Expect(("address", ExpectType.Number)), ValueShape.Number, r =>
            {
                var process = r.Entity("process", EntityKinds.Process);
                var length = r.Length();
                var prot = r.Prot("prot", Prot.Read | Prot.Write);
                var shared = r.Object.Bool("shared") ?? false;
                var at = r.Expr("at", required: false);
                return process is null || length is null || prot is null ? null
                    : new Syscall<MmapReply>(r.Info, process, c => new Mmap(c.Eval(length), prot.Value, shared ? MapKind.Shared : MapKind.Private, at is null ? null : new VirtAddr(c.Eval(at))),
                        (step, c, reply) =>
                        {
                            c.Check(step, "address", reply.Address.Value);
                            c.Bind(step, reply.Address.Value);
                        });
            }));
        c.Add(new StepKind("munmap", Family, "munmap { process, address, length | pages }",
            StepKind.NoExpectations, null, r =>
            {
                var process = r.Entity("process", EntityKinds.Process);
                var address = r.Expr("address");
                var length = r.Length();
                return process is null || address is null || length is null ? null
                    : new Syscall<Done>(r.Info, process, c => new Munmap(new VirtAddr(c.Eval(address)), c.Eval(length)), null);
            }));
        c.Add(new StepKind("mprotect", Family, "mprotect { process, address, length | pages, prot = rw | r | none }",
            StepKind.NoExpectations, null, r =>
            {
                var process = r.Entity("process", EntityKinds.Process);
                var address = r.Expr("address");
                var length = r.Length();
                var prot = r.Object.Has("prot") ? r.Prot("prot", null) : Missing(r, "prot");
                return process is null || address is null || length is null || prot is null ? null
                    : new Syscall<Done>(r.Info, process, c => new Mprotect(new VirtAddr(c.Eval(address)), c.Eval(length), prot.Value), null);
            }));
        c.Add(new StepKind("mremap", Family,
            "mremap { process, address, old-length | old-pages, new-length | new-pages, flags = [may-move, fixed, dont-unmap], to = ADDRESS, name }: binds the new address",
            StepKind.Expect(("address", ExpectType.Number)), ValueShape.Number, r =>
            {
                var process = r.Entity("process", EntityKinds.Process);
                var address = r.Expr("address");
                var oldLength = r.Length("old-length", "old-pages");
                var newLength = r.Length("new-length", "new-pages");
                var flags = MremapFlagsOf(r);
                var to = r.Expr("to", required: false);
                return process is null || address is null || oldLength is null || newLength is null || flags is null ? null
                    : new Syscall<MmapReply>(r.Info, process,
                        c => new Mremap(new VirtAddr(c.Eval(address)), c.Eval(oldLength), c.Eval(newLength), flags.Value, to is null ? null : new VirtAddr(c.Eval(to))),
                        (step, c, reply) =>
                        {
                            c.Check(step, "address", reply.Address.Value);
                            c.Bind(step, reply.Address.Value);
                        });
            }));
        c.Add(new StepKind("fork", Family, "fork { process, child = NEW-PROCESS }: the child shares every private page copy-on-write",
            StepKind.NoExpectations, null, r =>
            {
                var process = r.Entity("process", EntityKinds.Process);
                var child = r.NewEntity("child", EntityKinds.Process);
                return process is null || child is null ? null
                    : new Syscall<ForkReply>(r.Info, process, _ => new Fork(child), (_, c, reply) =>
                    {
                        if (reply.Child is { } mm) c.Run.Machine.Processes[child] = mm;
                    });
            }));
        c.Add(new StepKind("exit", Family, "exit { process }: every mirror and HMM domain gets RELEASE, every page is put",
            StepKind.NoExpectations, null, r => r.Entity("process", EntityKinds.Process) is { } process
                ? new Syscall<Done>(r.Info, process, _ => new Exit(), null)
                : null));
        c.Add(new StepKind("cpu-write", Family,
            "cpu-write { process, address, value = V | values = [V, ...] }: one 64-bit store per page, from address on (a write to a copy-on-write page copies it)",
            StepKind.NoExpectations, null, r =>
            {
                var process = r.Entity("process", EntityKinds.Process);
                var address = r.Expr("address");
                var values = r.Object.Has("value") ? r.List("value") : r.List("values");
                return process is null || address is null || values is null ? null : new CpuWriteStep(r.Info, process, address, values);
            }));
        c.Add(new StepKind("cpu-read", Family,
            "cpu-read { process, address, pages = 1, name }: one 64-bit load per page (first touch faults it in); binds the values",
            StepKind.Expect(("values", ExpectType.List), ("value", ExpectType.Number)), ValueShape.List, r =>
            {
                var process = r.Entity("process", EntityKinds.Process);
                var address = r.Expr("address");
                var pages = r.PageCount(required: false) ?? Expr.Constant(1);
                return process is null || address is null ? null : new CpuReadStep(r.Info, process, address, pages);
            }));
        c.Add(StatsStep<MmStats>.Kind("mm-stats", Family, "process", EntityKinds.Process, (m, n) => m.Process(n), new GetMmStats()));
    }

    private static Prot? Missing(StepReader r, string key)
    {
        r.Object.Require(key, "rw, r or none");
        return null;
    }

    private static MremapFlags? MremapFlagsOf(StepReader r)
    {
        var flags = MremapFlags.None;
        foreach (var (name, position) in r.Object.Names("flags"))
        {
            switch (name)
            {
                case "may-move": flags |= MremapFlags.MayMove; break;
                case "fixed": flags |= MremapFlags.Fixed; break;
                case "dont-unmap": flags |= MremapFlags.DontUnmap; break;
                default:
                    r.Object.Error(position, $"unknown mremap flag '{name}' (may-move, fixed, dont-unmap)");
                    return null;
            }
        }
        return flags;
    }

    /// <summary>
    /// One system call on a process's mm, answered by <typeparamref name="T"/>. When the step
    /// expects the call to fail and runs alone, the mm's counters and the machine's live pages are
    /// read before and after: a failed call that changed them breaks "a failed call changes nothing".
    /// </summary>
    public sealed class Syscall<T>(StepInfo info, string process, Func<StepContext, object> request, Action<Step, StepContext, T>? onSuccess) : Step(info)
        where T : class, IReply
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var mm = ctx.Run.Machine.Process(process);
            var message = request(ctx);
            var guard = ctx.Sequential && Info.Expect.Errno.ExpectsFailure;
            MmStats? before = null;
            long liveBefore = 0;
            if (guard)
            {
                var s = StepContext.Call<MmStats>(mm, new GetMmStats());
                yield return s;
                before = s.Reply;
                liveBefore = ctx.Run.Machine.Memory.Counters.Live;
            }
            var call = StepContext.Call<T>(mm, message);
            yield return call;
            if (ctx.CheckErrno(this, call.Reply.Errno)) onSuccess?.Invoke(this, ctx, call.Reply);
            if (before is null || call.Reply.Errno == Errno.None) yield break;
            var after = StepContext.Call<MmStats>(mm, new GetMmStats());
            yield return after;
            var changes = Changes(before, after.Reply, liveBefore, ctx.Run.Machine.Memory.Counters.Live);
            if (changes.Count > 0)
                ctx.Run.Violation(FailedCallInvariant, this,
                    $"{message.GetType().Name} failed with {call.Reply.Errno} but changed {process}'s mm: {string.Join(", ", changes)}", [mm.Path.Name]);
        }

        private static List<string> Changes(MmStats a, MmStats b, long liveA, long liveB)
        {
            var changes = new List<string>();
            void Compare(string what, long x, long y)
            {
                if (x != y) changes.Add($"{what} {x} -> {y}");
            }
            Compare("sequence", a.Sequence, b.Sequence);
            Compare("vmas", a.Vmas, b.Vmas);
            Compare("resident pages", a.ResidentPages, b.ResidentPages);
            Compare("mirrors", a.Mirrors, b.Mirrors);
            Compare("hmm domains", a.HmmDomains, b.HmmDomains);
            Compare("invalidations", a.Invalidations, b.Invalidations);
            Compare("live pages of the machine", liveA, liveB);
            return changes;
        }
    }

    private sealed class CpuWriteStep(StepInfo info, string process, Expr address, ListExpr values) : Step(info)
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var mm = ctx.Run.Machine.Process(process);
            var start = ctx.Eval(address);
            var v = ctx.Eval(values);
            var errno = Errno.None;
            for (var i = 0; i < v.Length && errno == Errno.None; i++)
            {
                var call = StepContext.Call<Done>(mm, new CpuWrite(new VirtAddr(start + ((ulong)i << PageSize.BaseShift)), v[i]));
                yield return call;
                errno = call.Reply.Errno;
            }
            ctx.CheckErrno(this, errno);
        }
    }

    private sealed class CpuReadStep(StepInfo info, string process, Expr address, Expr pages) : Step(info)
    {
        protected override IEnumerable<Instruction> Body(StepContext ctx)
        {
            var mm = ctx.Run.Machine.Process(process);
            var start = ctx.Eval(address);
            var n = ctx.Eval(pages);
            if (n > ListExpr.MaxElements) throw new ScenarioRuntimeException($"cpu-read of {n} pages: at most {ListExpr.MaxElements}");
            var values = new List<ulong>((int)n);
            var errno = Errno.None;
            for (ulong i = 0; i < n && errno == Errno.None; i++)
            {
                var call = StepContext.Call<CpuReadReply>(mm, new CpuRead(new VirtAddr(start + (i << PageSize.BaseShift))));
                yield return call;
                errno = call.Reply.Errno;
                if (errno == Errno.None) values.Add(call.Reply.Value);
            }
            if (!ctx.CheckErrno(this, errno)) yield break;
            ctx.Check(this, "values", values);
            if (values.Count > 0) ctx.Check(this, "value", values[0]);
            ctx.Bind(this, values);
        }
    }
}
