using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;

namespace IommuSim.Actors.Tce;

// The PHB's TCE fetches: the unit's walker asks the container, which owns the tables, as the
// hardware reads the table in memory after a miss in its TCE cache.
public sealed partial class TceContainerActor
{
    /// <summary>
    /// One TCE per 4 KiB page of the request, in order, up to the first fault (included): EFAULT
    /// for an IOVA no window holds or an invalid entry, EPERM for an entry without the permission
    /// the access needs (TCE_PCI_READ for a read, TCE_PCI_WRITE for a write). A TCE is one level.
    /// Entries of a table the PHB does not cache (no SWINV flag) are marked so: software never
    /// invalidates them, so the unit must not keep them.
    /// </summary>
    private void OnTranslateRange(TranslateRange request)
    {
        var need = request.Write ? IoProt.Write : IoProt.Read;
        var pages = new List<Translation>(Math.Max(0, request.Pages));
        var errno = Errno.None;
        for (var i = 0; i < request.Pages && errno == Errno.None; i++)
        {
            var ioba = request.Iova.Value + ((ulong)i << PageSize.BaseShift);
            _walks++;
            if (FindTable(ioba) is not { } table)
            {
                errno = Errno.EFAULT;
                pages.Add(new Translation(errno, default, 0, IommuProt.None, 1));
                continue;
            }
            table.Get(ioba >> table.PageShift, out var tce);
            var prot = (IommuProt)(int)(tce & TceTable.PermissionMask);
            if (!table.TryTranslate(ioba, need, out var phys))
            {
                errno = prot == IommuProt.None ? Errno.EFAULT : Errno.EPERM;
                pages.Add(new Translation(errno, default, errno == Errno.EFAULT ? 0 : table.PageSize.Bytes, prot, 1));
                continue;
            }
            pages.Add(new Translation(Errno.None, phys, table.PageSize.Bytes, prot, 1) { NoCache = !table.NeedsSoftwareInvalidation });
        }
        Sender.Tell(new RangeTranslation(errno, request.Iova, pages), Self);
    }
}
