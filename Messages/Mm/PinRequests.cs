namespace IommuSim.Messages.Mm;

/// <summary>
/// pin_user_pages (mm/gup.c, FOLL_PIN | FOLL_LONGTERM) of the 4 KiB pages of
/// <paramref name="Range"/>, in address order, on behalf of a kernel user of the process's memory
/// (the VFIO sPAPR container's tce_iommu_use_page). Each page is faulted in as a CPU access would
/// (<paramref name="Write"/> is FOLL_WRITE: it breaks copy-on-write first), then pinned: +1 pin
/// and +1 reference, so the page stays allocated until the pin is released
/// (PhysicalMemory.UnpinPage), whatever the process does to its mapping meanwhile.
/// Reply: <see cref="PinUserPagesReply"/>.
/// </summary>
public sealed record PinUserPages(AddressRange Range, bool Write);

/// <summary>
/// The pages pinned, in order, one per 4 KiB page from the start of the range. As gup stops at
/// the first page it cannot pin, the list may be shorter than the range: <see cref="IReply.Errno"/>
/// is then why that page failed (EFAULT: no VMA, no read permission, or a write to a VMA without
/// write permission, as check_vma_flags answers; ENOMEM: no memory to fault it in), and the pages
/// before it are pinned all the same. EINVAL (nothing pinned) for an empty, misaligned or wrapping range.
/// </summary>
public sealed record PinUserPagesReply(Errno Errno, IReadOnlyList<Pfn> Pages) : IReply;
