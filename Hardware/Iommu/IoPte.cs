namespace IommuSim.Hardware.Iommu;

/// <summary>
/// The model's IOPTE layout: present, read and write bits in the low bits, the output page address
/// (aligned to at least 4 KiB) above bit 12, as in x86 and ARM IOPTEs. The prot bits are
/// <see cref="IoProt"/> shifted left by one. A present IOPTE always grants read or write, because
/// <see cref="IoPageTable.Map"/> refuses a mapping that grants neither. The dirty bit is kept in
/// the table page's bitmap of dirty bits (<see cref="IoTablePage.Dirty"/>), one per slot, so that
/// read-and-clear scans a page's dirty bits a word at a time.
/// </summary>
internal static class IoPte
{
    public const ulong Present = 1UL << 0;
    public const ulong Read = 1UL << 1;
    public const ulong Write = 1UL << 2;
    public const ulong AddressMask = ~0xFFFUL;

    public static ulong Make(ulong phys, IoProt prot) => (phys & AddressMask) | ((ulong)prot << 1) | Present;

    public static IoProt Prot(ulong pte) => (IoProt)((pte >> 1) & 3);
}
