using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Runtime;

namespace IommuSim.Hardware.Devices;

/// <summary>
/// A DMA engine behind an IOMMU unit. Bursts (<see cref="DmaRead"/>, <see cref="DmaWrite"/>) name
/// an IOVA range; each page is translated and then read or written as the page's 64-bit value.
/// </summary>
/// <remarks>
/// <para>Without an ATC the device hands each burst to its unit in one message
/// (<see cref="UnitDma"/>): the unit translates and accesses memory, as an untranslated PCIe
/// request goes through the IOMMU. Bursts are pipelined, and their results come back in order.</para>
/// <para>With an ATC (PCIe ATS) the device translates by itself from its device TLB, asks the unit
/// for what misses (<see cref="AtsTranslate"/>) and accesses memory with translated addresses.
/// It runs one burst at a time; an ATS invalidation is handled and acknowledged at once, even
/// while a burst waits for a translation, so the unit's sync never waits on a burst. Because the
/// unit answers a translation before it sends any later invalidation, and the device finishes
/// the pages of an answer before it reads its next message, every access with a translation
/// happens before the acknowledgement that lets the unmap be answered.</para>
/// <para>The device answers nothing until its unit has probed it, so that an attach sent after
/// the device answered once always finds it probed. Requests are handled in the order they
/// arrive; those that cannot start yet wait in a queue.</para>
/// </remarks>
public sealed partial class DeviceActor : ReceiveActor
{
    private static readonly Pasid NoPasid = Pasid.Invalid;

    private readonly DeviceOptions _options;
    private readonly IommuUnitHandle _unit;
    private readonly PhysicalMemory _memory;
    private readonly MicroTlb? _atc;
    private FramePool? _privatePool;
    private Errno _probe = Errno.EAGAIN;

    private long _bursts;
    private long _pagesRead;
    private long _pagesWritten;
    private long _faults;
    private long _atcHits;
    private long _atsRequests;
    private long _atcInvalidations;

    public DeviceActor(DeviceOptions options, IommuUnitHandle unit, PhysicalMemory memory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Name);
        _options = options;
        _unit = unit;
        _memory = memory;
        _atc = options.AtcEntries > 0 ? new MicroTlb(options.AtcEntries, unit.Capabilities.PageSizes) : null;
        Receives();
    }

    public static Props Props(DeviceOptions options, IommuUnitHandle unit, PhysicalMemory memory) =>
        Runtime.Props.Create(() => new DeviceActor(options, unit, memory));

    public string Name => _options.Name;

    protected override void PreStart()
    {
        // devm_memremap_pages of the device's private memory; a restarted device keeps its pool.
        if (_options.PrivateMemoryBytes > 0)
            _privatePool = _memory.DevicePools.FirstOrDefault(p => p.Owner == _options.Name)
                ?? _memory.AddDevicePool(_options.Name, _options.PrivateMemoryBytes);
        _unit.Ref.Tell(new ProbeDevice(_options.Name, Self, _atc is not null)
        {
            PasidBits = _options.PasidBits,
            PageRequests = _options.PageRequests,
        }, Self);
    }

    /// <summary>
    /// The unit's answer to the probe; until it comes every request waits in the deferred queue.
    /// (Not the stash: on the deterministic dispatcher unstashed messages compete with new ones,
    /// and bursts must run in the order they were sent.)
    /// </summary>
    private void Receives()
    {
        Receive<Done>(_ => _probe == Errno.EAGAIN, done =>
        {
            _probe = done.Errno;
            RunDeferred();
        });
        Receive<UnitDmaDone>(OnUnitDmaDone);
        Receive<AtsTranslation>(OnAtsTranslation);
        Receive<AtcInvalidate>(OnAtcInvalidate);
        Receive<UnitPasidDmaDone>(OnUnitPasidDmaDone);
        Receive<PageGroupResponse>(OnPageGroupResponse);
        Receive<GetDevicePriStats>(_ => Sender.Tell(PriStats(), Self));
        ReceiveAny(OnRequest);
    }

    private readonly Queue<(object Request, IActorRef ReplyTo)> _deferred = new();

    private void OnRequest(object request)
    {
        if (!IsRequest(request))
        {
            Unhandled(request);
            return;
        }
        if (_probe == Errno.EAGAIN || _deferred.Count > 0 || !CanStart(request))
        {
            _deferred.Enqueue((request, Sender));
            return;
        }
        Handle(request, Sender);
    }

    private static bool IsRequest(object message) =>
        message is DmaRead or DmaWrite or DmaReadPasid or DmaWritePasid or DeviceTlbProbe or LocalRead or LocalWrite or GetDeviceStats;

    /// <summary>A burst can start when the pipeline to the unit has room (no ATC) or no burst is running (ATC).</summary>
    private bool CanStart(object request) =>
        request is not (DmaRead or DmaWrite) || (_atc is null ? _inFlight.Count < _options.MaxBurstsInFlight : _burst is null);

    /// <summary>Handles waiting requests, oldest first, as far as they can start.</summary>
    private void RunDeferred()
    {
        // A burst that completes at once (ATC hits) comes back here: the outer loop goes on.
        if (_draining) return;
        _draining = true;
        try
        {
            while (_probe != Errno.EAGAIN && _deferred.TryPeek(out var next) && CanStart(next.Request))
            {
                _deferred.Dequeue();
                Handle(next.Request, next.ReplyTo);
            }
        }
        finally
        {
            _draining = false;
        }
    }

    private bool _draining;

    private void Handle(object request, IActorRef replyTo)
    {
        switch (request)
        {
            case DmaRead read:
                StartBurst(read.Iova, read.Pages, write: false, values: null, replyTo);
                break;
            case DmaWrite write:
                StartBurst(write.Iova, write.Values.Count, write: true, values: write.Values, replyTo);
                break;
            case DmaReadPasid read:
                StartPasidBurst(read.Pasid, read.Address, read.Pages, write: false, values: null, replyTo);
                break;
            case DmaWritePasid write:
                StartPasidBurst(write.Pasid, write.Address, write.Values.Count, write: true, values: write.Values, replyTo);
                break;
            case DeviceTlbProbe probe:
                OnDeviceTlbProbe(probe, replyTo);
                break;
            case LocalRead read:
                replyTo.Tell(LocalReadOf(read), Self);
                break;
            case LocalWrite write:
                replyTo.Tell(LocalWriteOf(write), Self);
                break;
            case GetDeviceStats:
                replyTo.Tell(Stats(), Self);
                break;
        }
    }

    private DeviceStats Stats() => new(
        _probe,
        _options.Name,
        _bursts,
        _pagesRead,
        _pagesWritten,
        _faults,
        _atcHits,
        _atsRequests,
        _atcInvalidations,
        _privatePool?.BasePfn,
        _privatePool?.Frames ?? 0);

    /// <summary>Counts a finished burst and answers its requester.</summary>
    private void Complete(IActorRef requester, bool write, DmaCompleted result)
    {
        _bursts++;
        if (write) _pagesWritten += result.Pages;
        else _pagesRead += result.Pages;
        if (result.Errno != Errno.None) _faults++;
        requester.Tell(result, Self);
    }

    /// <summary>The device's own memory, without the IOMMU (a GPU reading its VRAM); EFAULT outside its pool.</summary>
    private DmaCompleted LocalReadOf(LocalRead read)
    {
        var at = new Iova(read.Pfn.ToPhys().Value);
        var check = CheckLocal(read.Pfn, read.Pages);
        if (check != Errno.None) return new DmaCompleted(check, at, 0, []);
        var values = new ulong[read.Pages];
        for (var i = 0; i < read.Pages; i++)
            if (_memory.ReadPage(read.Pfn + (ulong)i, out values[i]) != Errno.None)
                return new DmaCompleted(Errno.EIO, at, i, values[..i]);
        return new DmaCompleted(Errno.None, at, read.Pages, values);
    }

    private DmaCompleted LocalWriteOf(LocalWrite write)
    {
        var at = new Iova(write.Pfn.ToPhys().Value);
        var check = CheckLocal(write.Pfn, write.Values.Count);
        if (check != Errno.None) return new DmaCompleted(check, at, 0, []);
        for (var i = 0; i < write.Values.Count; i++)
            if (_memory.WritePage(write.Pfn + (ulong)i, write.Values[i]) != Errno.None)
                return new DmaCompleted(Errno.EIO, at, i, []);
        return new DmaCompleted(Errno.None, at, write.Values.Count, []);
    }

    private Errno CheckLocal(Pfn pfn, int pages)
    {
        if (pages < 1 || pages > IommuUnitActor.MaxBurstPages) return Errno.EINVAL;
        if (_privatePool is not { } pool || !pool.Contains(pfn) || !pool.Contains(pfn + (ulong)(pages - 1))) return Errno.EFAULT;
        return Errno.None;
    }
}
