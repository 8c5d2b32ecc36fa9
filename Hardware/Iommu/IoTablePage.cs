namespace IommuSim.Hardware.Iommu;

/// <summary>
/// One slot of a table page. Exactly one of three states holds: empty (Next null, Pte 0), a
/// directory (Next set, Pte 0), or a leaf (Next null, Pte has <see cref="IoPte.Present"/>).
/// Keeping the child reference and the IOPTE in one struct means a walk reads one array element
/// per level.
/// </summary>
internal struct IoTableSlot
{
    public IoTablePage? Next;
    public ulong Pte;
}

/// <summary>
/// A 4 KiB table page of 512 slots (one level of an x86-64 / ARM64-4K io-pgtable).
/// Invariants: <see cref="Used"/> counts the non-empty slots; <see cref="Leaves"/> counts the
/// leaf IOPTEs in this page and every page below it, so an all-empty subtree (kept when
/// directories are not freed) is recognised without walking it.
/// </summary>
internal sealed class IoTablePage
{
    public const int Entries = 512;
    public readonly IoTableSlot[] Slots = new IoTableSlot[Entries];
    public int Used;
    public long Leaves;
}
