using System.Diagnostics;
using IommuSim.Runtime;

namespace IommuSim.Simulator.Demo;

/// <summary>
/// A small preview of the protocol the simulator models (DESIGN.md, protocol 1): a process
/// actor invalidates a range, tells every mirror, and answers its caller only when every mirror
/// has fenced; each mirror checks that it never sees an invalidation for a sequence it already
/// passed. The demo counts violations of that order (there must be none) and reports the
/// deterministic trace hash, which the same seed reproduces.
/// </summary>
public static class InvalidationDemo
{
    public sealed record Result(string Dispatcher, ulong Seed, int Mirrors, int Invalidations, long Deliveries, double WallSeconds, ulong? TraceHash, long Violations)
    {
        public void Print(TextWriter w)
        {
            w.WriteLine($"iommusim engine demo: {Invalidations} invalidations fanned out to {Mirrors} mirrors on the {Dispatcher} dispatcher");
            w.WriteLine($"  deliveries      {Deliveries:N0}");
            w.WriteLine($"  wall time       {WallSeconds:F3} s ({Deliveries / Math.Max(WallSeconds, 1e-9) / 1e6:F2} M deliveries/s)");
            if (TraceHash is { } h) w.WriteLine($"  seed            {Seed}\n  trace hash      {h:x16}");
            w.WriteLine($"  violations      {Violations}");
            w.WriteLine(Violations == 0 ? "OK" : "FAILED: a mirror saw invalidations out of order");
        }
    }

    private sealed record Invalidate(long Sequence);
    private sealed record Fence(long Sequence);
    private sealed record Start(int Count);

    private sealed class Mirror : ReceiveActor
    {
        private long _last = -1;

        public Mirror(Action onViolation)
        {
            Receive<Invalidate>(inv =>
            {
                if (inv.Sequence <= _last) onViolation();
                _last = inv.Sequence;
                Sender.Tell(new Fence(inv.Sequence), Self);
            });
        }
    }

    private sealed class Mm : ReceiveActor
    {
        private readonly IActorRef[] _mirrors;
        private long _sequence;
        private int _pendingFences;
        private int _left;

        public Mm(int mirrors, Action onViolation, TaskCompletionSource done)
        {
            _mirrors = new IActorRef[mirrors];
            for (var i = 0; i < mirrors; i++)
                _mirrors[i] = Context.ActorOf(Props.Create(() => new Mirror(onViolation)), $"mirror{i}");
            Receive<Start>(s =>
            {
                _left = s.Count;
                Next();
            });
            Receive<Fence>(f =>
            {
                if (f.Sequence != _sequence) onViolation();
                if (--_pendingFences > 0) return;
                if (--_left == 0) done.TrySetResult();
                else Next();
            });
            void Next()
            {
                _sequence++;
                _pendingFences = _mirrors.Length;
                foreach (var m in _mirrors) m.Tell(new Invalidate(_sequence), Self);
            }
        }
    }

    public static Result Run(string dispatcher, ulong seed, int mirrors, int invalidations)
    {
        var config = dispatcher == "deterministic"
            ? $"akka.stdout-loglevel = OFF\nakka.actor.default-dispatcher = ${{akka.actor.deterministic-dispatcher}}\nakka.actor.default-dispatcher.seed = {seed}\nakka.actor.default-dispatcher.record-schedule = off"
            : "akka.stdout-loglevel = OFF";
        using var system = ActorSystem.Create("iommusim", config);
        long violations = 0;
        var done = new TaskCompletionSource();
        var mm = system.ActorOf(Props.Create(() => new Mm(mirrors, () => Interlocked.Increment(ref violations), done)), "mm");
        var sw = Stopwatch.StartNew();
        mm.Tell(new Start(invalidations), ActorRefs.NoSender);
        long deliveries;
        ulong? hash = null;
        if (system.Deterministic is { } d)
        {
            d.RunUntilQuiescent();
            deliveries = d.Steps;
            hash = d.TraceHash;
        }
        else
        {
            done.Task.Wait();
            deliveries = 1 + 2L * invalidations * mirrors;
        }
        sw.Stop();
        if (!done.Task.IsCompleted) violations++;
        return new Result(dispatcher, seed, mirrors, invalidations, deliveries, sw.Elapsed.TotalSeconds, hash, Interlocked.Read(ref violations));
    }
}
