using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Actors.Iommu;

/// <summary>
/// struct iommu_domain: a BLOCKED, IDENTITY, UNMANAGED (paging) or DMA domain (strict, or lazy
/// with a flush queue) of one IOMMU unit, owning its I/O page table (<see cref="IoPageTable"/>).
/// </summary>
/// <remarks>
/// <para><b>Safety invariant.</b> Once an unmap (iommu_unmap, a strict DMA unmap, a directory
/// unmap or write-protect) is answered, no device can translate the removed IOVA: the domain
/// changes its table, gathers the unmapped leaves (iommu_iotlb_gather_add_page), sends the
/// commands to its unit with a sync (iommu_iotlb_sync), and answers only when the unit's sync
/// completion arrives, which itself waits for the device TLBs. The only exceptions are the
/// lazy DMA-FQ unmap (dma-iommu's deferred flush, whose IOVA is not reused until the flush) and
/// the <see cref="IommuDomainOptions.SkipIotlbSyncAfterUnmap"/> bug switch; both mark their
/// <see cref="IovaUnmapped"/> trace event unsynced.</para>
/// <para><b>Unit.</b> A domain belongs to the unit it was made for, and uses that unit's domain
/// id while a device is attached there ("can attach": a device of another unit is EINVAL, and
/// the unit refuses a domain whose configuration does not fit it).</para>
/// <para><b>Walks.</b> The unit's walker sends <see cref="TranslateRange"/>; the domain answers
/// from its table at once, whatever it is waiting for, as hardware walks the live table.</para>
/// </remarks>
public sealed partial class IommuDomainActor : ReceiveActor
{
    private readonly IommuUnitHandle _unit;
    private readonly IommuDomainOptions _options;
    private readonly IommuDomainGeometry _geometry;
    private readonly IoPageTable? _table;
    private readonly IovaAllocator? _iova;

    private long _maps;
    private long _unmaps;

    public IommuDomainActor(IommuUnitHandle unit, IommuDomainOptions options)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(options);
        _unit = unit;
        _options = options;
        _geometry = GeometryOf(unit.Capabilities, options);
        if (IsPaging && IoPageTableFormats.IsRadix(_geometry.Format))
        {
            _table = new IoPageTable(_geometry.AddressBits, _geometry.PageSizes, unit.Capabilities.OutputAddressBits,
                options.FreeEmptyTableDirectories, unit.Capabilities.DirtyTracking);
            _iova = new IovaAllocator(PageSize.Size4K.Bytes, 1UL << _geometry.AddressBits);
        }

        Receive<TranslateRange>(OnTranslateRange);
        Receive<Translate>(OnTranslate);
        Receive<IommuMap>(OnMap);
        Receive<IommuUnmap>(OnUnmap);
        Receive<IotlbInvalidated>(OnIotlbInvalidated);
        Receive<AttachDevice>(OnAttach);
        Receive<DetachDevice>(OnDetach);
        Receive<UnitDeviceAttached>(OnUnitAttached);
        Receive<UnitDeviceDetached>(OnUnitDetached);
        Receive<DmaMap>(OnDmaMap);
        Receive<DmaUnmap>(OnDmaUnmap);
        Receive<IommuFlushIotlbAll>(OnFlushIotlbAll);
        Receive<FlushQueueTimeout>(_ => FlushQueueFlush(null));
        Receive<IommuMapDirectory>(OnMapDirectory);
        Receive<IommuUpdateDirectory>(OnUpdateDirectory);
        Receive<IommuUnmapDirectories>(OnUnmapDirectories);
        Receive<IommuProtectDirectories>(OnProtectDirectories);
        Receive<GetIommuDomainStats>(_ => Sender.Tell(Stats(), Self));
        ReceiveDirtyTracking();
    }

    /// <summary>Props for a domain of <paramref name="unit"/>; throws if the options ask for a table no io-pgtable can be.</summary>
    public static Props Props(IommuUnitHandle unit, IommuDomainOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var o = options ?? IommuDomainOptions.Default;
        var g = GeometryOf(unit.Capabilities, o);
        if (IsPagingType(o.Type) && IoPageTableFormats.IsRadix(g.Format)
            && ((g.PageSizes & PageSizeBitmap.Size4K) == 0 || (g.PageSizes & ~PageSizeBitmap.Radix4K) != 0
                || g.AddressBits is < IoPageTable.MinAddressBits or > IoPageTable.MaxAddressBits))
            throw new ArgumentException($"a {g.Format} domain needs 4K pages (plus 2M/1G) and {IoPageTable.MinAddressBits}..{IoPageTable.MaxAddressBits} address bits, not {g}", nameof(options));
        if (o.FlushQueueSize < 1) throw new ArgumentException("the flush queue needs at least one entry", nameof(options));
        return Runtime.Props.Create(() => new IommuDomainActor(unit, o));
    }

    public static IommuDomainGeometry GeometryOf(IommuUnitCapabilities caps, IommuDomainOptions options) => new(
        options.Format ?? caps.PageTableFormat,
        options.PageSizes ?? caps.PageSizes,
        options.AddressBits ?? caps.InputAddressBits,
        options.DirtyTracking);

    private bool IsPaging => IsPagingType(_options.Type);

    private static bool IsPagingType(IommuDomainType type) =>
        type is IommuDomainType.Unmanaged or IommuDomainType.Dma or IommuDomainType.DmaFlushQueue;

    /// <summary>The errno of a map-type request on this domain: EINVAL for a non-paging type (__iommu_map), ENODEV without a table (no map_pages).</summary>
    private Errno PagingError() => !IsPaging ? Errno.EINVAL : _table is null ? Errno.ENODEV : Errno.None;

    private IommuDomainStats Stats() => new(
        Errno.None,
        _options.Type,
        _domainId,
        _attached.Count,
        _table?.MappedBytes ?? 0,
        _table?.LeafCount ?? 0,
        _table?.TablePages ?? 0,
        _maps,
        _unmaps,
        _syncs,
        _commands,
        _fqQueued,
        _fqFlushes,
        _flushQueue.Count,
        _iova?.AllocatedBytes ?? 0);

    private void Trace(object traceEvent) => Context.System.EventStream.Publish(traceEvent);

    private bool Tracing(Type type) => Context.System.EventStream.HasSubscribers(type);
}
