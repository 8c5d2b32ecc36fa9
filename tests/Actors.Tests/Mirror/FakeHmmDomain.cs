using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Mm;
using IommuSim.Runtime;

namespace IommuSim.Actors.Tests.Mirror;

/// <summary>
/// A stand-in HMM domain (seed 000's hmm_domain) that follows the mirror / mm contract and
/// nothing more: one IOVA range per mapped leaf directory, MapDirectory answered after
/// <c>delay</c> rounds through its own mailbox (so that a deterministic run can interleave an
/// invalidation in between), MUNMAP / MIGRATE / RELEASE unmap the directories they touch,
/// WRITE_PROTECT downgrades them, every MmuInvalidate is fenced, and the last mirror leaving
/// unmaps everything. It does not refuse stale maps (MapDirectory.ReadSequence), so the
/// mirror's own sequence check is the only defence a race test exercises.
/// </summary>
public sealed class FakeHmmDomain : ReceiveActor
{
    public const ulong IovaBase = 0x1_0000_0000UL;
    private const ulong DirectoryBytes = 2UL << 20;

    private sealed record Tick(int Left, IActorRef ReplyTo, MapDirectory Request);

    private readonly int _delay;
    private readonly HashSet<string> _devices = [];
    private readonly Dictionary<IActorRef, string> _mirrors = [];
    private readonly Dictionary<ulong, (Iova Iova, int Pages)> _directories = [];
    private ulong _nextIova = IovaBase;
    private long _mapCalls;
    private long _updateCalls;
    private long _unmapCalls;

    public FakeHmmDomain(int delay, IActorRef? iommuDomain = null, List<object>? log = null)
    {
        _delay = delay;
        Receive<AddDomainMirror>(a =>
        {
            Record(log, a);
            if (!_devices.Add(a.DeviceName))
            {
                Sender.Tell(new Done(Errno.EINVAL), Self);
                return;
            }
            _mirrors[a.Mirror] = a.DeviceName;
            Sender.Tell(Done.Ok, Self);
        });
        Receive<RemoveDomainMirror>(r =>
        {
            Record(log, r);
            if (_mirrors.Remove(r.Mirror, out var device)) _devices.Remove(device);
            if (_mirrors.Count == 0) UnmapWhere(_ => true);
            Sender.Tell(new DomainMirrorRemoved(Errno.None, _mirrors.Count), Self);
        });
        Receive<MmuInvalidate>(inv =>
        {
            Record(log, inv);
            if (inv.Event == InvalidationEvent.WriteProtect)
            {
                _updateCalls += _directories.Keys.Count(d => Overlaps(d, inv.Range));
            }
            else
            {
                UnmapWhere(d => Overlaps(d, inv.Range));
            }
            Sender.Tell(new InvalidationFence(inv.Sequence), Self);
        });
        Receive<MapDirectory>(m =>
        {
            Record(log, m);
            Self.Tell(new Tick(_delay, Sender, m), Self);
        });
        Receive<Tick>(t =>
        {
            if (t.Left > 0)
            {
                Self.Tell(t with { Left = t.Left - 1 }, Self);
                return;
            }
            t.ReplyTo.Tell(Map(t.Request), Self);
        });
        Receive<GetHmmDomainStats>(_ => Sender.Tell(new HmmDomainStats(Errno.None, _mirrors.Count, _directories.Count,
            _directories.Values.Sum(d => (long)d.Pages), _mapCalls, _updateCalls, _unmapCalls), Self));
        _ = iommuDomain;
    }

    // Tests read the log from their own thread (on the thread-pool dispatcher too).
    private static void Record(List<object>? log, object message)
    {
        if (log == null) return;
        lock (log) log.Add(message);
    }

    public static Props Props(int delay, List<object>? log = null) => Runtime.Props.Create(() => new FakeHmmDomain(delay, null, log));

    private DirectoryMapped Map(MapDirectory m)
    {
        var pages = m.Pages.Count(p => p != null);
        if (_directories.TryGetValue(m.Directory.Start, out var mapped))
        {
            _updateCalls++;
            _directories[m.Directory.Start] = (mapped.Iova, pages);
            return new DirectoryMapped(Errno.None, mapped.Iova, pages - mapped.Pages);
        }
        _mapCalls++;
        var iova = new Iova(_nextIova);
        _nextIova += DirectoryBytes;
        _directories[m.Directory.Start] = (iova, pages);
        return new DirectoryMapped(Errno.None, iova, pages);
    }

    private void UnmapWhere(Func<ulong, bool> match)
    {
        foreach (var dir in _directories.Keys.Where(match).ToList())
        {
            _directories.Remove(dir);
            _unmapCalls++;
        }
    }

    private static bool Overlaps(ulong directory, AddressRange range) =>
        new AddressRange(directory, directory + DirectoryBytes).Overlaps(range);
}

/// <summary>An actor that accepts everything: stands for the IOMMU domain a device sits behind.</summary>
public sealed class NullActor : ReceiveActor
{
    public NullActor() => ReceiveAny(_ => { });
}
