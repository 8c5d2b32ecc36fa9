using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Trace;

namespace IommuSim.Actors.Iommu;

// iommu_map, iommu_unmap and the walker's requests.
public sealed partial class IommuDomainActor
{
    /// <summary>iommu_map (drivers/iommu/iommu.c): errors as <see cref="IoPageTable.Map"/>, EINVAL on a non-paging domain.</summary>
    private void OnMap(IommuMap map)
    {
        var error = PagingError();
        if (error == Errno.None) error = _table!.Map(map.Iova, map.Phys, map.Size, ToIoProt(map.Prot));
        if (error == Errno.None)
        {
            _maps++;
            if (Tracing(typeof(IovaMapped))) Trace(new IovaMapped(Self, AddressRange.FromLength(map.Iova.Value, map.Size), map.Phys));
        }
        Sender.Tell(new Done(error), Self);
    }

    /// <summary>
    /// iommu_unmap: __iommu_unmap with a gather, then iommu_iotlb_sync, and only then the answer
    /// (the bytes unmapped, which may differ from the size asked: a huge leaf goes whole, and the
    /// walk stops at the first hole). A non-paging domain or an unaligned request unmaps nothing:
    /// the kernel returns 0 for both; the model answers 0 bytes with EINVAL so the misuse shows.
    /// </summary>
    private void OnUnmap(IommuUnmap unmap)
    {
        var error = PagingError();
        if (error == Errno.None && !IsUnmapAligned(unmap.Iova.Value, unmap.Size)) error = Errno.EINVAL;
        if (error != Errno.None)
        {
            Sender.Tell(new IommuUnmapped(error, 0), Self);
            return;
        }
        _unmaps++;
        var gather = new IotlbGather();
        var batch = new CommandBatch();
        var unmapped = UnmapGathered(unmap.Iova, unmap.Size, gather, batch);
        gather.Sync(batch);
        var replyTo = Sender;
        FlushUnmapped(batch.Commands, () =>
        {
            if (unmapped > 0 && Tracing(typeof(IovaUnmapped)))
                Trace(new IovaUnmapped(Self, AddressRange.FromLength(unmap.Iova.Value, unmapped), !_options.SkipIotlbSyncAfterUnmap));
            replyTo.Tell(new IommuUnmapped(Errno.None, unmapped), Self);
        });
    }

    private bool IsUnmapAligned(ulong iova, ulong size)
    {
        var min = PageSizeBitmap.MinPageSize(_table!.PageSizes).Bytes - 1;
        return ((iova | size) & min) == 0;
    }

    /// <summary>One walk (iommu_iova_to_phys with the access a device asks for).</summary>
    private void OnTranslate(Translate translate) =>
        Sender.Tell(Walk(translate.Iova, translate.Write), Self);

    /// <summary>The unit's walker: consecutive pages, up to and including the first fault.</summary>
    private void OnTranslateRange(TranslateRange request)
    {
        var pages = Math.Clamp(request.Pages, 1, IommuUnitActor.MaxBurstPages);
        var list = new List<Translation>(Math.Min(pages, 512));
        var errno = Errno.None;
        for (var i = 0; i < pages; i++)
        {
            var t = Walk(request.Iova + ((ulong)i << PageSize.BaseShift), request.Write);
            list.Add(t);
            errno = t.Errno;
            if (errno != Errno.None) break;
        }
        Sender.Tell(new RangeTranslation(errno, request.Iova, list), Self);
    }

    private Translation Walk(Iova iova, bool write)
    {
        switch (_options.Type)
        {
            case IommuDomainType.Identity:
                return new Translation(Errno.None, new PhysAddr(iova.Value), PageSize.Size4K.Bytes, IommuProt.Read | IommuProt.Write, 0);
            case IommuDomainType.Blocked:
                return new Translation(Errno.EFAULT, default, 0, IommuProt.None, 0);
        }
        if (_table is null) return new Translation(Errno.EFAULT, default, 0, IommuProt.None, 0);
        var walk = WalkTable(iova, write);
        var errno = walk.Status switch
        {
            IoWalkStatus.Ok => Errno.None,
            IoWalkStatus.PermissionFault => Errno.EPERM,
            _ => Errno.EFAULT,
        };
        var size = walk.Status is IoWalkStatus.Ok or IoWalkStatus.PermissionFault ? walk.PageSize.Bytes : 0;
        return new Translation(errno, walk.Phys, size, ToIommuProt(walk.Prot), walk.Levels) { Dirty = walk.Dirty, DirtyTracking = _table.DirtyTracking };
    }

    private static IoProt ToIoProt(IommuProt prot) => (IoProt)(int)(prot & (IommuProt.Read | IommuProt.Write));

    private static IommuProt ToIommuProt(IoProt prot) => (IommuProt)(int)prot;
}
