using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

/// <summary>
/// A POWER TCE table (struct iommu_table): a flat array of translation control entries mapping a
/// DMA window. Entry <c>i</c> for i in [<see cref="Offset"/>, Offset + <see cref="Size"/>)
/// (it_offset, it_size) translates bus addresses [i &lt;&lt; PageShift, (i + 1) &lt;&lt; PageShift)
/// (it_page_shift). An entry is <c>host address | TCE_PCI_READ (1) | TCE_PCI_WRITE (2)</c>; it is
/// valid when it has a permission bit.
///
/// Operations are those of struct iommu_table_ops as seed 003 (Alexey Kardashevskiy's v8 series,
/// "powerpc/iommu/powernv: Release replaced TCE") defines them: set, clear, get, and exchange, which
/// writes a new TCE and returns the old one with its DMA direction so the caller can release the
/// old page (and mark it dirty if the device could write it). The seed passes kernel virtual
/// addresses to exchange and converts with __pa/__va; today's kernel passes host physical
/// addresses. The model's linear map is the identity, so both are a <see cref="PhysAddr"/> here.
///
/// Storage is allocated a 4 KiB page of TCEs (512 entries) at a time on first use, as the
/// multi-level powernv tables allocate levels on demand, so a huge 64-bit window costs memory
/// only where entries were written.
///
/// While VFIO owns it (<see cref="TakeOwnership"/>) the table belongs to the TceContainerActor that
/// took it: the container exchanges entries, and the PHB (the POWER IommuUnitActor) reads them by
/// asking the container, as a hardware TCE fetch reads the table in memory, caching them in its
/// TCE cache (the unit's IOTLB) until the container's kill invalidates them. No locks: only the
/// owner touches entries (ownership itself is atomic, see <see cref="TakeOwnership"/>).
/// </summary>
public sealed partial class TceTable
{
    /// <summary>TCE_PCI_READ: the device may read the page (DMA_TO_DEVICE).</summary>
    public const ulong TcePciRead = 1;
    /// <summary>TCE_PCI_WRITE: the device may write the page (DMA_FROM_DEVICE).</summary>
    public const ulong TcePciWrite = 2;
    public const ulong PermissionMask = TcePciRead | TcePciWrite;

    private const int ChunkShift = 9;
    private const int ChunkEntries = 1 << ChunkShift;
    /// <summary>2^34 entries (128 GiB of TCEs) is far past any real window and keeps chunk indices in an int.</summary>
    private const ulong MaxSize = 1UL << 34;

    private readonly ulong[]?[] _chunks;

    /// <param name="offset">it_offset: index of the first entry (bus address / page size of the window start).</param>
    /// <param name="size">it_size: number of entries.</param>
    /// <param name="pageShift">it_page_shift: IOMMU page size (12 = 4 KiB, 16 = 64 KiB, 24 = 16 MiB, ...).</param>
    /// <param name="type">it_type; the SWINV flags make set/clear/exchange count software invalidations.</param>
    /// <param name="hasExchange">Whether it_ops has exchange(); without it ownership is refused (seed 003).</param>
    public TceTable(ulong offset, ulong size, int pageShift = PageSize.BaseShift, TceTableType type = TceTableType.Pci, bool hasExchange = true)
    {
        PageSize = new PageSize(pageShift);
        if (size == 0 || size > MaxSize)
            throw new ArgumentOutOfRangeException(nameof(size), size, $"a TCE table has 1..{MaxSize} entries");
        if (offset + size < offset || (offset + size) > (ulong.MaxValue >> pageShift))
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "the DMA window does not fit in 64-bit bus addresses");
        Offset = offset;
        Size = size;
        Type = type;
        HasExchange = hasExchange;
        _chunks = new ulong[]?[(int)((size + ChunkEntries - 1) >> ChunkShift)];
    }

    /// <summary>it_offset.</summary>
    public ulong Offset { get; }
    /// <summary>it_size.</summary>
    public ulong Size { get; }
    /// <summary>it_page_shift.</summary>
    public int PageShift => PageSize.Shift;
    public PageSize PageSize { get; }
    /// <summary>it_type.</summary>
    public TceTableType Type { get; }
    /// <summary>Whether it_ops->exchange exists.</summary>
    public bool HasExchange { get; }
    /// <summary>Whether an external user (VFIO) owns the table (iommu_take_ownership).</summary>
    public bool IsOwned => Volatile.Read(ref _owned) != 0;

    // 1 while an external user owns the table; see TakeOwnership for why it is atomic.
    private int _owned;

    /// <summary>Bus address range the table translates.</summary>
    public AddressRange Window => new(Offset << PageShift, (Offset + Size) << PageShift);

    public long Exchanges { get; private set; }
    /// <summary>Software TCE-cache invalidations issued (pnv_pci_ioda2_tce_invalidate calls: per exchange, or per killed run).</summary>
    public long Invalidations { get; private set; }
    /// <summary>Entries with a permission bit.</summary>
    public long ValidEntries { get; private set; }
    /// <summary>4 KiB pages of TCE storage allocated.</summary>
    public long AllocatedTcePages { get; private set; }

    /// <summary>iommu_tce_direction: the DMA direction a TCE's permission bits grant.</summary>
    public static DmaDirection TceDirection(ulong tce) => (tce & PermissionMask) switch
    {
        TcePciRead | TcePciWrite => DmaDirection.Bidirectional,
        TcePciRead => DmaDirection.ToDevice,
        TcePciWrite => DmaDirection.FromDevice,
        _ => DmaDirection.None,
    };

    /// <summary>iommu_direction_to_tce_perm: the permission bits for a DMA direction (none for DMA_NONE).</summary>
    public static ulong DirectionToTcePerm(DmaDirection direction) => direction switch
    {
        DmaDirection.Bidirectional => TcePciRead | TcePciWrite,
        DmaDirection.FromDevice => TcePciWrite,
        DmaDirection.ToDevice => TcePciRead,
        _ => 0,
    };

    public bool ContainsIndex(ulong index) => index >= Offset && index - Offset < Size;

    /// <summary>it_ops->get: the raw entry. EINVAL outside the window.</summary>
    public Errno Get(ulong index, out ulong tce)
    {
        tce = 0;
        if (!ContainsIndex(index))
            return Errno.EINVAL;
        tce = Read(index - Offset);
        return Errno.None;
    }

    /// <summary>
    /// it_ops->set (pnv_tce_build): entries index .. index + npages - 1 map consecutive IOMMU
    /// pages from <paramref name="hostAddr"/> with the permission of <paramref name="direction"/>.
    /// DMA_NONE is clear(), as iommu_table_ops documents. With TCE_PCI_SWINV_CREATE one
    /// invalidation covers the whole run. EINVAL, changing nothing, when the run leaves the window
    /// or the address is not aligned to the IOMMU page.
    /// </summary>
    public Errno Set(ulong index, ulong npages, PhysAddr hostAddr, DmaDirection direction)
    {
        if (direction == DmaDirection.None)
            return Clear(index, npages);
        if (!ContainsRun(index, npages) || !PageSize.IsAligned(hostAddr.Value))
            return Errno.EINVAL;
        if (hostAddr.Value + ((npages - 1) << PageShift) < hostAddr.Value)
            return Errno.EINVAL;
        var perm = DirectionToTcePerm(direction);
        for (ulong i = 0; i < npages; i++)
            Write(index - Offset + i, (hostAddr.Value + (i << PageShift)) | perm);
        if ((Type & TceTableType.PciSwinvCreate) != 0)
            Invalidations++;
        return Errno.None;
    }

    /// <summary>
    /// it_ops->clear (pnv_tce_free): zero npages entries from index; with TCE_PCI_SWINV_FREE one
    /// invalidation covers the run. EINVAL, changing nothing, when the run leaves the window.
    /// </summary>
    public Errno Clear(ulong index, ulong npages)
    {
        if (!ContainsRun(index, npages))
            return Errno.EINVAL;
        for (ulong i = 0; i < npages; i++)
            Write(index - Offset + i, 0);
        if ((Type & TceTableType.PciSwinvFree) != 0)
            Invalidations++;
        return Errno.None;
    }

    /// <summary>
    /// it_ops->exchange as seed 003's pnv_tce_xchg plus the ioda wrappers: writes
    /// <c>hostAddr | iommu_direction_to_tce_perm(direction)</c> and returns, in the same two
    /// arguments, the old entry's address with the permission bits masked off and its direction
    /// (iommu_tce_direction of the old entry). DMA_NONE has no permission bits, so the new entry is
    /// invalid; the clearing caller (tce_iommu_clear) passes address 0 and gets back the page to release.
    /// A table that needs software invalidation (TCE_PCI_SWINV_CREATE or _FREE) invalidates after
    /// each exchange, as pnv_ioda2_tce_xchg_vm does in the seed: one counted invalidation per exchange.
    /// Errors, changing nothing: those of <see cref="ExchangeNoKill"/>.
    /// </summary>
    public Errno Exchange(ulong index, ref PhysAddr hostAddr, ref DmaDirection direction)
    {
        var err = ExchangeNoKill(index, ref hostAddr, ref direction);
        if (err == Errno.None && NeedsSoftwareInvalidation)
            Invalidations++;
        return err;
    }

    /// <summary>
    /// it_ops->xchg_no_kill (today's kernel; pnv_tce_xchg without the invalidation): the exchange
    /// of <see cref="Exchange"/> without invalidating, so that a caller changing many entries
    /// invalidates once for the whole run with <see cref="Kill"/> (iommu_tce_kill), as
    /// tce_iommu_build and tce_iommu_clear do.
    /// Errors, changing nothing: EINVAL when the table has no exchange op (the seed refuses
    /// ownership of such a table with -EINVAL, so the kernel never calls a missing op), when the
    /// index is outside [it_offset, it_offset + it_size) (the kernel relies on the callers'
    /// iommu_tce_check_ioba, which answers -EINVAL), or when the address is not aligned to the
    /// IOMMU page (today's pnv_tce_xchg BUG_ONs; in the seed the caller's put_param_check refuses it).
    /// </summary>
    public Errno ExchangeNoKill(ulong index, ref PhysAddr hostAddr, ref DmaDirection direction)
    {
        if (!HasExchange || index - Offset >= Size || (hostAddr.Value & (PageSize.Bytes - 1)) != 0)
            return Errno.EINVAL;
        var newTce = hostAddr.Value | DirectionToTcePerm(direction);
        var oldTce = Write(index - Offset, newTce);
        hostAddr = new PhysAddr(oldTce & ~PermissionMask);
        direction = TceDirection(oldTce);
        Exchanges++;
        return Errno.None;
    }

    /// <summary>
    /// iommu_tce_kill (it_ops->tce_kill, pnv_pci_ioda2_tce_invalidate): one software invalidation
    /// of the TCE cache for <paramref name="npages"/> entries from <paramref name="index"/>, after
    /// a run of <see cref="ExchangeNoKill"/>. Returns whether the table needs it (its type has a
    /// SWINV flag, so the PHB caches its TCEs); a table without one is read by the hardware
    /// straight from memory and counts nothing. The run is not checked: the kernel's tce_kill
    /// invalidates whatever range it is given.
    /// </summary>
    public bool Kill(ulong index, ulong npages)
    {
        if (!NeedsSoftwareInvalidation || npages == 0)
            return false;
        Invalidations++;
        return true;
    }

    /// <summary>Whether the PHB caches this table's TCEs, so software must invalidate after changing them (TCE_PCI_SWINV_CREATE or _FREE).</summary>
    public bool NeedsSoftwareInvalidation => (Type & (TceTableType.PciSwinvCreate | TceTableType.PciSwinvFree)) != 0;

    /// <summary>
    /// iommu_take_ownership for one table (seed 003's iommu_table_take_ownership): EINVAL without
    /// an exchange op, since VFIO must be able to release pages the guest overwrites; EBUSY when
    /// already owned or when the host still has live mappings in it (the kernel finds them in its
    /// it_map allocation bitmap, iommu_table_in_use; the model's equivalent is a valid entry).
    /// </summary>
    /// <remarks>
    /// The table is shared by the platform and every container that may try to own it, so two
    /// containers on different threads can race here: the ownership flag is taken with a
    /// compare-and-swap (the kernel's pool locks), and exactly one of them wins. After that only
    /// the owner changes entries, from its own actor.
    /// </remarks>
    public Errno TakeOwnership()
    {
        if (!HasExchange)
            return Errno.EINVAL;
        if (ValidEntries != 0)
            return Errno.EBUSY;
        return Interlocked.CompareExchange(ref _owned, 1, 0) == 0 ? Errno.None : Errno.EBUSY;
    }

    /// <summary>iommu_release_ownership: hands the table back; entries are the releaser's to clear first.</summary>
    public void ReleaseOwnership() => Volatile.Write(ref _owned, 0);

    /// <summary>
    /// The PHB's translation of a device DMA at bus address <paramref name="ioba"/>: the entry must
    /// grant every bit of <paramref name="access"/> (IoProt.Read is TCE_PCI_READ, Write is
    /// TCE_PCI_WRITE, the same bits) and, for IoProt.None, be valid at all.
    /// </summary>
    public bool TryTranslate(ulong ioba, IoProt access, out PhysAddr phys)
    {
        phys = default;
        var index = ioba >> PageShift;
        if (!ContainsIndex(index))
            return false;
        var tce = Read(index - Offset);
        var perm = tce & PermissionMask;
        if (perm == 0 || ((ulong)access & ~perm) != 0)
            return false;
        phys = new PhysAddr((tce & ~(PageSize.Bytes - 1)) | (ioba & (PageSize.Bytes - 1)));
        return true;
    }

    private bool ContainsRun(ulong index, ulong npages) =>
        npages != 0 && ContainsIndex(index) && npages <= Size - (index - Offset);

    private ulong Read(ulong relative) =>
        _chunks[(int)(relative >> ChunkShift)] is { } chunk ? chunk[relative & (ChunkEntries - 1)] : 0;

    /// <summary>Writes an entry, keeps <see cref="ValidEntries"/> exact, and returns the old entry (the xchg).</summary>
    private ulong Write(ulong relative, ulong tce)
    {
        ref var chunk = ref _chunks[(int)(relative >> ChunkShift)];
        if (chunk is null)
        {
            if (tce == 0)
                return 0;
            chunk = new ulong[ChunkEntries];
            AllocatedTcePages++;
        }
        ref var slot = ref chunk[relative & (ChunkEntries - 1)];
        var old = slot;
        slot = tce;
        if ((old & PermissionMask) != 0) ValidEntries--;
        if ((tce & PermissionMask) != 0) ValidEntries++;
        return old;
    }
}
