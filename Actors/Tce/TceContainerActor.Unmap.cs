using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Tce;
using IommuSim.Messages.Trace;

namespace IommuSim.Actors.Tce;

// VFIO_IOMMU_UNMAP_DMA and tce_iommu_clear, the kill of a batch (iommu_tce_kill + iommu_flush_tce)
// and the release of pages (tce_iommu_unuse_page with the direction, as the review of seed 003 asks).
public sealed partial class TceContainerActor
{
    /// <summary>
    /// The UNMAP_DMA checks in the kernel's order — EPERM not enabled, EINVAL for any flag, ENXIO
    /// no window holds the IOVA, EINVAL for a size that is not a multiple of the IOMMU page, then
    /// iommu_tce_clear_param_check — and tce_iommu_clear of the range.
    /// </summary>
    /// <remarks>
    /// Quirks chosen as for MAP_DMA: today's iommu_tce_clear_param_check macro returns 1, not
    /// -EINVAL, and ignores the page count (a run from inside the window past its end passes); the
    /// model answers EINVAL and checks the whole run (<see cref="TceTable.ClearParamCheck"/>).
    /// </remarks>
    private void OnUnmapDma(VfioUnmapDma unmap)
    {
        if (!_enabled)
        {
            Finish(Errno.EPERM);
            return;
        }
        if (unmap.Flags != 0)
        {
            Finish(Errno.EINVAL);
            return;
        }
        if (FindTable(unmap.Iova) is not { } table)
        {
            Finish(Errno.ENXIO);
            return;
        }
        var pages = unmap.Size >> table.PageShift;
        var err = (unmap.Size & ~table.PageMask) != 0 ? Errno.EINVAL : table.ClearParamCheck(unmap.Iova, 0, pages);
        if (err != Errno.None)
        {
            Finish(err);
            return;
        }
        var entry = unmap.Iova >> table.PageShift;
        Clear(table, entry, pages, () =>
        {
            if (_tracing && pages > 0)
                Publish(new IovaUnmapped(Self, AddressRange.FromLength(unmap.Iova, unmap.Size), Synced: !_options.InvalidateBeforeExchange));
            Finish(Errno.None);
        });
    }

    /// <summary>tce_iommu_clear: every entry of the run exchanged with an empty one, one kill for the run, then the pages released.</summary>
    private void Clear(TceTable table, ulong entry, ulong pages, Action done)
    {
        BeforeExchange(table, entry, pages, () =>
        {
            var releases = new List<(Pfn, DmaDirection)>();
            var trace = _tracing ? new List<TceExchange>() : null;
            ClearEntries(table, entry, pages, releases, trace);
            if (trace is { Count: > 0 }) Publish(new TceEntriesExchanged(Self, table.PageShift, trace));
            AfterExchange(table, entry, pages, releases, done);
        });
    }

    /// <summary>
    /// The exchange loop of tce_iommu_clear: address 0 and DMA_NONE in, the old page and its
    /// direction out; the pages of valid entries go to <paramref name="releases"/>. Entries that
    /// were already empty are exchanged too (as the kernel does) but not traced.
    /// </summary>
    private void ClearEntries(TceTable table, ulong entry, ulong pages, List<(Pfn, DmaDirection)> releases, List<TceExchange>? trace)
    {
        for (ulong i = 0; i < pages; i++)
        {
            var hpa = default(PhysAddr);
            var direction = DmaDirection.None;
            if (table.ExchangeNoKill(entry + i, ref hpa, ref direction) != Errno.None || direction == DmaDirection.None) continue;
            trace?.Add(new TceExchange((entry + i) << table.PageShift, default, DmaDirection.None, hpa, direction));
            releases.Add((hpa.Pfn, direction));
        }
        _exchanges += (long)pages;
    }

    /// <summary>The correct order kills after the exchanges; the injected bug kills (and waits) before them.</summary>
    private void BeforeExchange(TceTable table, ulong entry, ulong pages, Action exchange)
    {
        if (_options.InvalidateBeforeExchange) Kill(table, entry, pages, exchange);
        else exchange();
    }

    /// <summary>
    /// After a batch of exchanges: the kill of the batch, and once the unit answered it the
    /// release of the pages the batch replaced, then <paramref name="done"/>. With the injected
    /// bug the kill already happened, and the pages go at once.
    /// </summary>
    private void AfterExchange(TceTable table, ulong entry, ulong pages, List<(Pfn, DmaDirection)> releases, Action done)
    {
        if (_options.InvalidateBeforeExchange)
        {
            Release(releases);
            done();
            return;
        }
        Kill(table, entry, pages, () =>
        {
            Release(releases);
            done();
        });
    }

    /// <summary>
    /// iommu_tce_kill then iommu_flush_tce: one invalidation of the PHB's TCE cache for the run,
    /// with a sync whose answer says no cached copy of the old entries is left. A table the PHB
    /// does not cache (no SWINV flag) needs none; neither does a container without a group.
    /// </summary>
    private void Kill(TceTable table, ulong entry, ulong pages, Action done)
    {
        if (_group is not { } group || !table.Kill(entry, pages))
        {
            done();
            return;
        }
        var cookie = ++_nextCookie;
        _killWaits.Add(cookie, done);
        _kills++;
        var command = IotlbInvalidation.Range(new Iova(entry << table.PageShift), pages << table.PageShift, table.PageSize.Bytes);
        group.Unit.Ref.Tell(new IotlbInvalidate(Self, [command], Sync: true, cookie), Self);
    }

    private void OnKilled(IotlbInvalidated killed)
    {
        if (_killWaits.Remove(killed.Cookie, out var done)) done();
    }

    /// <summary>Releases the pins, in order, each with the direction of the entry that held it, and traces them.</summary>
    private void Release(List<(Pfn Pfn, DmaDirection Direction)> releases)
    {
        if (releases.Count == 0) return;
        var trace = _tracing ? new TceRelease[releases.Count] : null;
        for (var i = 0; i < releases.Count; i++)
        {
            var (pfn, direction) = releases[i];
            var err = Unuse(pfn, direction, out var dirty);
            if (trace is not null) trace[i] = new TceRelease(pfn, direction, dirty, err);
        }
        if (trace is not null) Publish(new TcePagesReleased(Self, trace));
    }

    /// <summary>
    /// tce_iommu_unuse_page(container, hpa, direction), as the review of seed 003 asks instead of a
    /// SetPageDirty in every caller: a page the device could write (DMA_FROM_DEVICE or
    /// DMA_BIDIRECTIONAL) is marked dirty, then unpinned (unpin_user_page), which frees it if the
    /// process let go of it meanwhile. <paramref name="dirty"/> is the page's flag just before the
    /// unpin, for the trace.
    /// </summary>
    private Errno Unuse(Pfn pfn, DmaDirection direction, out bool dirty)
    {
        if (direction.DeviceMayWrite() && !_options.SkipDirtyOnRelease)
        {
            _memory.SetPageDirty(pfn);
            _pagesDirtied++;
        }
        dirty = _tracing && _memory.PageDirty(pfn);
        var err = _memory.UnpinPage(pfn);
        if (err == Errno.None)
        {
            _pinsHeld--;
            _pagesReleased++;
        }
        return err;
    }
}
