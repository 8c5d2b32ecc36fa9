using IommuSim.Messages;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Actors.Mm;

// CPU loads and stores of one page's 64-bit value. A first touch faults the page in (a read of
// private memory maps the zero page, a write allocates a zeroed page), a store to a
// copy-on-write page copies it, and an access to a device-private or device-exclusive page
// first takes it back from the device under a MIGRATE invalidation (do_swap_page ->
// migrate_to_ram, or remove_device_exclusive_entry).
public sealed partial class MmActor
{
    private void OnCpuRead(CpuRead r, IActorRef replyTo) => CpuAccess(r.Address, write: false, 0, replyTo);

    private void OnCpuWrite(CpuWrite w, IActorRef replyTo) => CpuAccess(w.Address, write: true, w.Value, replyTo);

    /// <summary>
    /// One CPU access. Errors model the signal the process would get: EFAULT for an address with
    /// no VMA (SIGSEGV, SEGV_MAPERR), EACCES for an access the VMA does not permit (SEGV_ACCERR),
    /// ENOMEM when no page can be allocated (the OOM path).
    /// </summary>
    private void CpuAccess(VirtAddr address, bool write, ulong value, IActorRef replyTo)
    {
        void Reply(Errno e, ulong v)
        {
            if (write) replyTo.Tell(e == Errno.None ? Done.Ok : new Done(e), Self);
            else replyTo.Tell(new CpuReadReply(e, v), Self);
        }
        var vma = FindVma(address.Value);
        if (vma == null)
        {
            Reply(Errno.EFAULT, 0);
            return;
        }
        if (write ? !vma.CanWrite : !vma.CanRead)
        {
            Reply(Errno.EACCES, 0);
            return;
        }
        var vpn = Vpn(address.Value);
        (Errno Errno, ulong Value) Access()
        {
            var err = FaultOnePage(vpn, vma, write);
            if (err != Errno.None) return (err, 0);
            var pfn = _pt[vpn].Pfn;
            if (!write)
            {
                _memory.ReadPage(pfn, out var read);
                return (Errno.None, read);
            }
            _memory.WritePage(pfn, value);
            _memory.SetPageDirty(pfn);
            return (Errno.None, value);
        }
        if (FaultInvalidation(vpn, vma, write, device: null) is not { } evt)
        {
            var (e, v) = Access();
            Reply(e, v);
            return;
        }
        (Errno Errno, ulong Value) result = default;
        var page = new AddressRange(AddrOf(vpn), AddrOf(vpn) + PageBytes);
        Invalidate([new InvalidationRange(page, evt)], () => result = Access(), () => Reply(result.Errno, result.Value));
    }
}
