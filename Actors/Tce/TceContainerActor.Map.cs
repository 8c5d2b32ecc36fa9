using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Tce;
using IommuSim.Messages.Trace;

namespace IommuSim.Actors.Tce;

// VFIO_IOMMU_MAP_DMA (tce_iommu_ioctl as seed 003 leaves it) and tce_iommu_build with its rollback.
public sealed partial class TceContainerActor
{
    /// <summary>
    /// The seed's checks, in the kernel's order, then the pins: the pages come from the mm, and
    /// <see cref="Build"/> installs them when they arrive.
    /// </summary>
    private void OnMapDma(VfioMapDma map)
    {
        var err = CheckMap(map, out var table, out var direction);
        if (err != Errno.None)
        {
            Finish(err);
            return;
        }
        var pages = map.Size >> table!.PageShift;
        if (pages == 0)
        {
            // tce_iommu_build of no page changes nothing and succeeds.
            Finish(Errno.None);
            return;
        }
        // The model's pages are all 4 KiB (no compound pages): a 4 KiB IOMMU page takes one pin
        // per page; a larger one fails tce_page_is_contained on its first page, the only one pinned.
        var pinBytes = table.PageShift == PageSize.BaseShift ? map.Size : PageSize.Size4K.Bytes;
        var entry = map.Iova >> table.PageShift;
        _pinWait = reply => Build(table, entry, pages, direction, reply);
        // tce_iommu_use_page pins with FOLL_WRITE unless the device only reads.
        _mm.Tell(new PinUserPages(AddressRange.FromLength(map.Vaddr, pinBytes), direction != DmaDirection.ToDevice), Self);
    }

    /// <summary>
    /// The MAP_DMA checks of the seed's tce_iommu_ioctl, first failure wins: EPERM not enabled;
    /// EINVAL unknown flags; ENXIO no window holds the IOVA (tce_iommu_find_table); EINVAL for a
    /// size that is not a multiple of the IOMMU page, a TCE permission bit in the address, or
    /// neither READ nor WRITE; then iommu_tce_put_param_check (EINVAL for an address with other
    /// low bits, an IOVA not aligned or outside the window).
    /// </summary>
    /// <remarks>
    /// Two kernel quirks, chosen explicitly. Today's iommu_tce_put_param_check is a macro whose
    /// <c>||</c> yields 1, which the ioctl returns to user space instead of -EINVAL: the model
    /// answers the seed's EINVAL. And it checks only the first entry (iommu_tce_check_ioba with one
    /// page), so a run that starts in the window and ends past it is not refused up front: the
    /// model refuses it with EINVAL before anything changes, where the kernel would exchange past
    /// the end of the table. A run whose address range wraps answers EFAULT up front, what the
    /// kernel's build would end with after clearing the entries it wrote.
    /// </remarks>
    private Errno CheckMap(VfioMapDma map, out TceTable? table, out DmaDirection direction)
    {
        direction = DmaDirection.None;
        table = null;
        if (!_enabled) return Errno.EPERM;
        if ((map.Flags & ~(VfioDmaMapFlags.Read | VfioDmaMapFlags.Write)) != 0) return Errno.EINVAL;
        table = FindTable(map.Iova);
        if (table is null) return Errno.ENXIO;
        if ((map.Size & ~table.PageMask) != 0) return Errno.EINVAL;
        if ((map.Vaddr & TceTable.PermissionMask) != 0) return Errno.EINVAL;
        direction = map.Flags switch
        {
            VfioDmaMapFlags.Read | VfioDmaMapFlags.Write => DmaDirection.Bidirectional,
            VfioDmaMapFlags.Read => DmaDirection.ToDevice,
            VfioDmaMapFlags.Write => DmaDirection.FromDevice,
            _ => DmaDirection.None,
        };
        if (direction == DmaDirection.None) return Errno.EINVAL;
        var err = table.PutParamCheck(map.Iova, map.Vaddr);
        if (err != Errno.None) return err;
        var relative = (map.Iova >> table.PageShift) - table.Offset;
        if (map.Size >> table.PageShift > table.Size - relative) return Errno.EINVAL;
        if (map.Vaddr + map.Size < map.Vaddr) return Errno.EFAULT;
        return Errno.None;
    }

    private void OnPinned(PinUserPagesReply reply)
    {
        if (_pinWait is not { } build)
        {
            // Not asked for: give the pins back rather than leak them.
            foreach (var pfn in reply.Pages) _memory.UnpinPage(pfn);
            return;
        }
        _pinWait = null;
        build(reply);
    }

    /// <summary>
    /// tce_iommu_build with the pins the mm sent: for each IOMMU page, check that the pinned page
    /// covers it (tce_page_is_contained, EPERM) and exchange it in with the request's direction;
    /// each page an exchange hands back is released with the direction it had. A pin that failed
    /// (the mm's errno, EFAULT from tce_iommu_use_page) or a page that is not contained stops the
    /// build, and exactly the entries it wrote are cleared again (tce_iommu_clear of
    /// [entry, entry + i)): what they held before the build was already released, so they end up
    /// empty. One kill covers the batch; the pages go once the unit has answered it.
    /// </summary>
    /// <remarks>
    /// A pin the build does not use (the page that failed the containment check and those after
    /// it) is released at once, as it never was in a TCE. The kernel leaks the pin of the page
    /// that fails tce_page_is_contained (it breaks out without tce_iommu_unuse_page); the model
    /// releases it.
    /// </remarks>
    private void Build(TceTable table, ulong entry, ulong pages, DmaDirection direction, PinUserPagesReply reply)
    {
        var pins = reply.Pages;
        _pinsHeld += pins.Count;
        _pagesPinned += pins.Count;
        if (_tracing && pins.Count > 0) Publish(new TcePagesPinned(Self, pins));

        var err = reply.Errno;
        if (err == Errno.None && (ulong)pins.Count < pages) err = Errno.EFAULT;
        var usable = (int)Math.Min((ulong)pins.Count, pages);
        // tce_page_is_contained: the pinned (compound) page must be at least the IOMMU page.
        if (usable > 0 && PageSize.BaseShift < table.PageShift)
        {
            usable = 0;
            err = Errno.EPERM;
        }
        if (usable < pins.Count)
        {
            var unused = new List<(Pfn, DmaDirection)>(pins.Count - usable);
            for (var i = usable; i < pins.Count; i++) unused.Add((pins[i], DmaDirection.None));
            Release(unused);
        }
        if (usable == 0)
        {
            Finish(err);
            return;
        }

        var written = (ulong)usable;
        BeforeExchange(table, entry, written, () =>
        {
            var releases = new List<(Pfn, DmaDirection)>();
            var trace = _tracing ? new List<TceExchange>(usable) : null;
            for (var i = 0; i < usable; i++)
            {
                var hpa = pins[i].ToPhys();
                var old = direction;
                // Cannot fail: the window, the alignment and the exchange op were checked.
                table.ExchangeNoKill(entry + (ulong)i, ref hpa, ref old);
                trace?.Add(new TceExchange((entry + (ulong)i) << table.PageShift, pins[i].ToPhys(), direction, hpa, old));
                if (old != DmaDirection.None) releases.Add((hpa.Pfn, old));
            }
            _exchanges += usable;
            var range = AddressRange.FromLength(entry << table.PageShift, written << table.PageShift);
            if (err != Errno.None) ClearEntries(table, entry, written, releases, trace);
            if (trace is not null)
            {
                Publish(new TceEntriesExchanged(Self, table.PageShift, trace));
                if (err == Errno.None) Publish(new IovaMapped(Self, range, pins[0].ToPhys()));
            }
            AfterExchange(table, entry, written, releases, () =>
            {
                // The rollback emptied entries that may have held earlier mappings: an unmap.
                if (err != Errno.None && _tracing) Publish(new IovaUnmapped(Self, range, Synced: !_options.InvalidateBeforeExchange));
                Finish(err);
            });
        });
    }
}
