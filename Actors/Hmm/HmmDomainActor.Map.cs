using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Iommu;
using IommuSim.Runtime;

namespace IommuSim.Actors.Hmm;

// hmm_domain_update_or_map: a mirror's pages of one leaf directory, mapped at the directory's
// IOVA range (allocated on first use) so that every mirror of the domain shares the mapping.
public sealed partial class HmmDomainActor
{
    private const int DirectoryPages = 512;
    private const ulong DirectoryBytes = (ulong)DirectoryPages << PageSize.BaseShift;

    /// <summary>
    /// If the directory is mapped, iommu_domain_update_directory (pages not mapped yet are mapped,
    /// changed ones remapped) and the refcount grows by the returned delta; otherwise
    /// iommu_domain_map_directory at a fresh IOVA range and the refcount starts at the pages mapped.
    /// Errors: EINVAL for a range that is not one whole directory of the table or a page list that
    /// is not 512 long or holds no page; EAGAIN when the pages were read before an invalidation of
    /// an overlapping range this domain already handled; ENODEV once the IOMMU domain is gone.
    /// Device-private pages are left out: they are not system memory a peer DMA may reach, and
    /// their owner accesses them directly. A directory with no other page needs no mapping
    /// (answered with IOVA 0 and no refcount, or the existing base).
    /// </summary>
    private void OnMapDirectory(MapDirectory map, IActorRef replyTo)
    {
        var directory = map.Directory;
        if (!PageSize.Size2M.IsAligned(directory.Start) || directory.End - directory.Start != DirectoryBytes
            || directory.End - 1 > _table.Geometry.LastByte || map.Pages.Count != DirectoryPages)
        {
            replyTo.Tell(new DirectoryMapped(Errno.EINVAL, default, 0), Self);
            return;
        }
        int first = -1, last = -1;
        var pages = new DirectoryPage?[DirectoryPages];
        var mappable = 0;
        for (var i = 0; i < DirectoryPages; i++)
        {
            if (map.Pages[i] is not { } pfn) continue;
            if (first < 0) first = i;
            last = i;
            if (pfn.IsDevicePrivate) continue;
            pages[i] = new DirectoryPage(pfn.Pfn.ToPhys(), pfn.Write ? IommuProt.Read | IommuProt.Write : IommuProt.Read);
            mappable++;
        }
        if (first < 0)
        {
            replyTo.Tell(new DirectoryMapped(Errno.EINVAL, default, 0), Self);
            return;
        }
        var span = new AddressRange(directory.Start + ((ulong)first << PageSize.BaseShift), directory.Start + ((ulong)(last + 1) << PageSize.BaseShift));
        if (IsStale(span, map.ReadSequence))
        {
            replyTo.Tell(new DirectoryMapped(Errno.EAGAIN, default, 0), Self);
            return;
        }
        if (_iommuGone)
        {
            replyTo.Tell(new DirectoryMapped(Errno.ENODEV, default, 0), Self);
            return;
        }
        var existing = _table.Get(directory.Start).DmaAddr;
        if (mappable == 0)
        {
            replyTo.Tell(new DirectoryMapped(Errno.None, existing?.AsIova ?? default, 0), Self);
            return;
        }
        if (existing is { } dma)
        {
            var iovaBase = dma.AsIova;
            Await<IommuDirectoryUpdated>(new IommuUpdateDirectory(iovaBase, pages), updated =>
            {
                var errno = updated?.Errno ?? Errno.ENODEV;
                if (errno != Errno.None)
                {
                    replyTo.Tell(new DirectoryMapped(errno, default, 0), Self);
                    return;
                }
                _updateCalls++;
                _refs[directory.Start] += updated!.Delta;
                _mappedPages += updated.Delta;
                replyTo.Tell(new DirectoryMapped(Errno.None, iovaBase, updated.Delta), Self);
            });
            return;
        }
        Await<IommuDirectoryMapped>(new IommuMapDirectory(pages), mapped =>
        {
            var errno = mapped?.Errno ?? Errno.ENODEV;
            if (errno != Errno.None)
            {
                replyTo.Tell(new DirectoryMapped(errno, default, 0), Self);
                return;
            }
            _mapCalls++;
            // The table covers the directory (checked above), so this cannot fail.
            _table.Set(directory.Start, HmmPte.FromDmaAddr(DmaAddr.FromIova(mapped!.IovaBase)));
            _refs[directory.Start] = mapped.Mapped;
            _mappedPages += mapped.Mapped;
            replyTo.Tell(new DirectoryMapped(Errno.None, mapped.IovaBase, mapped.Mapped), Self);
        });
    }
}
