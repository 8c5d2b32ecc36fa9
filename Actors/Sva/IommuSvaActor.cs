using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Sva;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Actors.Sva;

/// <summary>
/// The SVA core of drivers/iommu/iommu-sva.c, one per machine: what its iommu_sva_lock protects.
/// It owns the global PASID space (<see cref="PasidAllocator"/>), each mm's iommu_mm_data (its
/// PASID and its list of SVA domains, seed 002's review: "each mm can have a list of domains
/// associated with it and a new domain is auto-created if the device doesn't work with any of the
/// existing domains") and the bonds (struct iommu_sva) per (device, mm) with their users.
/// </summary>
/// <remarks>
/// <para>Binds and unbinds run one at a time, as under iommu_sva_lock: one that waits for a unit,
/// an mm or a domain holds the others back in a queue (the actor never blocks: waiting is a state).
/// Lookups and statistics are answered at once, as the kernel's RCU readers are.</para>
/// <para>Lifetimes (seed 002's review): a bond holds its domain; a domain holds the mm (mmgrab);
/// the PASID lives until the mm goes away, which the mm reports when its last reference went
/// (<see cref="SvaMmPasidDrop"/>, mm_pasid_drop from __mmdrop).</para>
/// <para>A failed bind changes nothing: a PASID it allocated goes back. (The kernel keeps the
/// PASID of an mm whose first bind failed; the model undoes it, as every failed request here does.)</para>
/// </remarks>
public sealed partial class IommuSvaActor : ReceiveActor
{
    private readonly SvaOptions _options;
    private readonly PasidAllocator _allocator = new();

    /// <summary>mm->iommu_mm: the mm's PASID and its SVA domains (in creation order: the search tries the oldest first).</summary>
    private sealed class MmData(IActorRef mm, Pasid pasid)
    {
        public IActorRef Mm { get; } = mm;
        public Pasid Pasid { get; } = pasid;
        public List<DomainEntry> Domains { get; } = [];
        public bool Exited { get; set; }
    }

    /// <summary>An SVA domain: its unit (null when shared), domain->users, and its devices per unit.</summary>
    private sealed class DomainEntry(IActorRef domain, MmData mm, IActorRef? unit)
    {
        public IActorRef Ref { get; } = domain;
        public MmData Mm { get; } = mm;
        public IActorRef? Unit { get; } = unit;
        public int Users { get; set; }
        public Dictionary<IActorRef, int> Units { get; } = [];
    }

    /// <summary>struct iommu_sva: a (device, mm) bond with its users.</summary>
    private sealed class Bond(long id, string device, IActorRef unit, DomainEntry domain)
    {
        public long Id { get; } = id;
        public string Device { get; } = device;
        public IActorRef Unit { get; } = unit;
        public DomainEntry Domain { get; } = domain;
        public int Users { get; set; } = 1;
    }

    private readonly Dictionary<IActorRef, MmData> _mms = [];
    private readonly Dictionary<uint, MmData> _byPasid = [];
    private readonly Dictionary<long, Bond> _bonds = [];
    private readonly Dictionary<(string Device, IActorRef Mm), Bond> _bondByKey = [];
    private readonly List<DomainEntry> _domains = [];
    private long _nextBondId;
    private long _domainsAllocated;
    private long _attachChecks;
    private long _binds;
    private long _unbinds;

    public IommuSvaActor(SvaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { } why) throw new ArgumentException(why, nameof(options));
        _options = options;

        Receive<SvaBindDevice>(b => Request(b, Sender));
        Receive<SvaUnbindDevice>(u => Request(u, Sender));
        Receive<SvaFindMm>(OnFindMm);
        Receive<GetSvaStats>(_ => Sender.Tell(Stats(), Self));
        Receive<SvaMmExited>(OnMmExited);
        Receive<SvaMmPasidDrop>(OnPasidDrop);
        Receive<Terminated>(OnTerminated);
        // The answers an operation waits for.
        Receive<UnitSvaInfoReply>(Answer);
        Receive<Done>(Answer);
        Receive<SvaDomainAttached>(Answer);
        Receive<SvaDomainDetached>(Answer);
        Receive<SvaDomainFreed>(Answer);
    }

    public static Props Props(SvaOptions? options = null) => Runtime.Props.Create(() => new IommuSvaActor(options ?? SvaOptions.Default));

    /// <summary>iommu_sva_find: the mm holding the PASID while it is allocated.</summary>
    private void OnFindMm(SvaFindMm find) =>
        Sender.Tell(_byPasid.TryGetValue(find.Pasid.Value, out var data) ? new SvaMmFound(Errno.None, data.Mm) : new SvaMmFound(Errno.ESRCH, null), Self);

    private void OnMmExited(SvaMmExited exited)
    {
        if (_mms.TryGetValue(exited.Mm, out var data)) data.Exited = true;
    }

    /// <summary>mm_pasid_drop: the mm went away; its PASID is free for another mm.</summary>
    private void OnPasidDrop(SvaMmPasidDrop drop)
    {
        if (!_mms.TryGetValue(drop.Mm, out var data) || data.Pasid != drop.Pasid) return;
        Context.Unwatch(drop.Mm);
        ForgetMm(data);
    }

    /// <summary>An mm actor that stopped cannot be bound any more; without domains its PASID goes.</summary>
    private void OnTerminated(Terminated terminated)
    {
        if (!_mms.TryGetValue(terminated.ActorRef, out var data)) return;
        data.Exited = true;
        if (data.Domains.Count == 0) ForgetMm(data);
    }

    private void ForgetMm(MmData data, bool bindFailed = false)
    {
        _mms.Remove(data.Mm);
        _byPasid.Remove(data.Pasid.Value);
        _allocator.Free(data.Pasid.Value);
        Trace(new PasidFreed(data.Mm, data.Pasid, bindFailed));
    }

    private SvaStats Stats()
    {
        long bytes = 0;
        foreach (var d in _domains)
            bytes += _options.DomainBytes + (d.Unit is null ? (long)_options.UnitRecordBytes * d.Units.Count : 0);
        return new SvaStats(
            Errno.None,
            _allocator.Allocated,
            _bonds.Count,
            _bonds.Values.Sum(b => b.Users),
            _domains.Count,
            _domains.Sum(d => d.Users),
            _domainsAllocated,
            bytes,
            IoPageTableBytes: 0,
            _attachChecks,
            _binds,
            _unbinds);
    }

    private void Trace(ITraceEvent e)
    {
        if (Context.System.EventStream.HasSubscribers(e.GetType())) Context.System.EventStream.Publish(e);
    }
}
