using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Iommufd;
using IommuSim.Messages.Trace;

namespace IommuSim.Actors.Iommufd;

// Areas: iopt_map_user_pages (pin, then fill every domain) and iopt_unmap_iova (unmap from every
// domain with its IOTLB flush, then unpin), whole areas only.
public sealed partial class IoasActor
{
    /// <summary>
    /// iopt_map_user_pages: the checks of iopt_alloc_user_pages, iopt_alloc_area_pages and
    /// iopt_insert_area in their order, then pin the pages and fill every domain
    /// (iopt_fill_domains_pages); a domain that fails is unfilled with every domain before it,
    /// and the pages are unpinned, so a failed map leaves nothing behind.
    /// </summary>
    private void OnMap(IoasMap map)
    {
        var error = CheckMap(map, out var iova);
        Pfn[] pages = [];
        if (error == Errno.None) error = _user.GetPages(map.UserAddress, map.Length, out pages);
        if (error == Errno.None) error = Pin(pages);
        if (error != Errno.None)
        {
            Finish(new IoasMapped(error, default));
            return;
        }
        var area = new IoasArea(IovaRange.FromLength(iova, map.Length), map.UserAddress, map.Prot, pages);
        FillDomains(area, fillError =>
        {
            if (fillError != Errno.None)
            {
                Unpin(area);
                Finish(new IoasMapped(fillError, default));
                return;
            }
            _areas.Add(area.Iova.Start, area);
            _pinnedPages += pages.Length;
            if (Tracing(typeof(IoasAreaMapped))) Trace(new IoasAreaMapped(Self, area.Iova, pages));
            Finish(new IoasMapped(Errno.None, new Iova(iova)));
        });
    }

    /// <summary>
    /// EINVAL for a zero length (iopt_alloc_user_pages), EOVERFLOW when the user range wraps,
    /// EINVAL for a length not aligned to the IOVA alignment (iopt_alloc_area_pages), then the
    /// fixed IOVA's checks (<see cref="CheckIova"/>) or the allocator (<see cref="AllocIova"/>),
    /// then EINVAL for a page offset not aligned to the IOVA alignment (iopt_insert_area).
    /// </summary>
    private Errno CheckMap(IoasMap map, out ulong iova)
    {
        iova = 0;
        if (map.Length == 0) return Errno.EINVAL;
        if (!AddressFormat.IsValidRange(map.UserAddress.Value, map.Length)) return Errno.EOVERFLOW;
        if ((map.Length & (_iovaAlignment - 1)) != 0) return Errno.EINVAL;
        Errno error;
        if (map.Iova is { } fixedIova)
        {
            iova = fixedIova.Value;
            error = CheckIova(iova, map.Length);
        }
        else
        {
            error = AllocIova(map.UserAddress.Value, map.Length, out iova);
        }
        if (error != Errno.None) return error;
        return (map.UserAddress.PageOffset & (_iovaAlignment - 1)) != 0 ? Errno.EINVAL : Errno.None;
    }

    /// <summary>Maps the area into every domain in turn; on a failure unmaps it from those it reached.</summary>
    private void FillDomains(IoasArea area, Action<Errno> done)
    {
        var maps = area.MapRequests();
        ForEach(_domains, (domain, next) => FillDomain(domain.Ref, area, maps, next), (error, filled) =>
        {
            if (error == Errno.None)
            {
                done(Errno.None);
                return;
            }
            ForEach(_domains.Take(filled).ToList(), (domain, next) => Call(domain.Ref, area.UnmapRequest(), _ => next(Errno.None)),
                (_, _) => done(error));
        });
    }

    /// <summary>iopt_area_fill_domain: the area's runs, one iommu_map each; a failure unmaps what the earlier runs mapped.</summary>
    private void FillDomain(Runtime.IActorRef domain, IoasArea area, IReadOnlyList<IommuMap> maps, Action<Errno> done) =>
        CallEach(domain, maps, (error, mapped) =>
        {
            if (error == Errno.None || mapped == 0) done(error);
            else Call(domain, area.UnmapRequest(), _ => done(error));
        });

    /// <summary>
    /// iopt_unmap_iova: EINVAL for a zero length, EOVERFLOW when the range wraps, ENOENT when an
    /// area sticks out of the range or no area is in it; else every area inside goes, and the
    /// reply counts their bytes. The uAPI's (0, UINT64_MAX) is iopt_unmap_all, which succeeds on an
    /// empty IOAS. Two choices differ from today's kernel, which unmaps the areas it meets before
    /// the one that sticks out and then fails (the model fails before touching any, so that a failed
    /// call changes nothing), and which answers 0 bytes where nothing is mapped (the model keeps
    /// the ENOENT of the seed's era and of the selftest's "Unmap fails if nothing is mapped").
    /// </summary>
    private void OnUnmap(IoasUnmap unmap)
    {
        List<IoasArea> victims;
        if (unmap.IsAll)
        {
            victims = [.. _areas.Values];
        }
        else
        {
            var error = Errno.None;
            if (unmap.Length == 0) error = Errno.EINVAL;
            else if (!AddressFormat.IsValidRange(unmap.Iova.Value, unmap.Length)) error = Errno.EOVERFLOW;
            var range = error == Errno.None ? IovaRange.FromLength(unmap.Iova.Value, unmap.Length) : default;
            victims = error == Errno.None ? [.. _areas.Values.Where(a => a.Iova.Overlaps(range))] : [];
            if (error == Errno.None && (victims.Count == 0 || victims.Any(a => !range.Contains(a.Iova)))) error = Errno.ENOENT;
            if (error != Errno.None)
            {
                Finish(new IoasUnmapped(error, 0));
                return;
            }
        }
        ulong bytes = 0;
        ForEach(victims, (area, next) => RemoveArea(area, () =>
        {
            bytes += area.Length;
            next(Errno.None);
        }), (_, _) => Finish(new IoasUnmapped(Errno.None, bytes)));
    }

    /// <summary>
    /// iopt_area_unfill_domains then iopt_put_pages: the area is unmapped from every domain, each
    /// answering only after its IOTLB sync, and only then are its pages unpinned, so no device can
    /// reach a page once it is no longer pinned.
    /// </summary>
    private void RemoveArea(IoasArea area, Action done)
    {
        var unmap = area.UnmapRequest();
        ForEach(_domains, (domain, next) => Call(domain.Ref, unmap, _ => next(Errno.None)), (_, _) =>
        {
            _areas.Remove(area.Iova.Start);
            Unpin(area);
            _pinnedPages -= area.Pages.Length;
            if (Tracing(typeof(IoasAreaUnmapped))) Trace(new IoasAreaUnmapped(Self, area.Iova, area.Pages));
            done();
        });
    }

    /// <summary>pin_user_pages with FOLL_PIN, page by page; on a failure the pages pinned so far are unpinned.</summary>
    private Errno Pin(Pfn[] pages)
    {
        for (var i = 0; i < pages.Length; i++)
        {
            var error = _memory.PinPage(pages[i]);
            if (error == Errno.None) continue;
            for (var j = 0; j < i; j++) _memory.UnpinPage(pages[j]);
            return Errno.EFAULT;
        }
        return Errno.None;
    }

    /// <summary>unpin_user_page_range_dirty_lock: a page a device could write is marked dirty as it is unpinned.</summary>
    private void Unpin(IoasArea area)
    {
        var writable = (area.Prot & IommuProt.Write) != 0;
        foreach (var pfn in area.Pages) _memory.UnpinPageDirty(pfn, writable);
    }
}
