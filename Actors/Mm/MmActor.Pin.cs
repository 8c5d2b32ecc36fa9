using IommuSim.Messages;
using IommuSim.Messages.Mm;
using IommuSim.Runtime;

namespace IommuSim.Actors.Mm;

// pin_user_pages (mm/gup.c) for kernel users of the process's memory that keep pages for DMA:
// the VFIO sPAPR container pins each page it puts in a TCE (tce_iommu_use_page).
public sealed partial class MmActor
{
    /// <summary>
    /// Faults the pages in as a CPU access would (a write breaks copy-on-write; device-private
    /// pages come back to RAM, as FOLL_LONGTERM migrates them), then pins each one, in the same
    /// step, so no munmap or migration can come between the fault and the pin (gup holds the mmap
    /// lock and takes the references under the page-table lock). gup stops at the first page it
    /// cannot pin and returns the ones before it pinned; the reply carries that page's errno.
    /// </summary>
    /// <remarks>
    /// Simplification: a read pin of an untouched private page pins the zero page the read fault
    /// maps, where today's gup unshares it first (FAULT_FLAG_UNSHARE) so that a later CPU write
    /// cannot leave the device reading a stale page.
    /// </remarks>
    private void OnPinUserPages(PinUserPages p, IActorRef replyTo)
    {
        var range = p.Range;
        if (!IsValidPageRange(range))
        {
            replyTo.Tell(new PinUserPagesReply(Errno.EINVAL, []), Self);
            return;
        }
        // check_vma_flags answers a write to a VMA without VM_WRITE with EFAULT, where hmm answers EPERM.
        var stop = GupErrno(CheckFaultPermissions(range, p.Write, out var failedAt));
        if (failedAt <= range.Start)
        {
            replyTo.Tell(new PinUserPagesReply(stop, []), Self);
            return;
        }
        FaultForDevice(new AddressRange(range.Start, failedAt), p.Write, device: null, faulted =>
        {
            if (faulted.Errno != Errno.None)
            {
                replyTo.Tell(new PinUserPagesReply(GupErrno(faulted.Errno), []), Self);
                return;
            }
            var pages = new List<Pfn>(faulted.Pages.Count);
            foreach (var page in faulted.Pages)
            {
                var err = _memory.PinPage(page.Pfn);
                if (err != Errno.None)
                {
                    stop = err;
                    break;
                }
                pages.Add(page.Pfn);
            }
            replyTo.Tell(new PinUserPagesReply(stop, pages), Self);
        });
    }

    private static Errno GupErrno(Errno hmm) => hmm == Errno.EPERM ? Errno.EFAULT : hmm;
}
