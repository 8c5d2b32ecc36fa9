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

    /// <summary>
    /// The dirty bits of this page's slots, one bit per slot, kept beside the IOPTEs so that a
    /// read-and-clear scans a table page's dirty state a 64-bit word at a time (as it would scan
    /// the D bits of a leaf table) and skips clean subtrees. For a leaf slot the bit is the IOPTE's
    /// dirty bit (hardware sets it on a tracked write, read-and-clear clears it; a new or removed
    /// leaf starts clean). For a directory slot it summarises the subtree: set whenever a dirty
    /// leaf may lie below (a tracking write sets it on its way down), dropped by a scan that
    /// leaves nothing dirty there. An empty slot's bit is clear (a leaf removed, a directory freed,
    /// each clears it).
    /// </summary>
    public SlotBits Dirty;

    /// <summary>The slots that hold a directory (a <see cref="IoTableSlot.Next"/>), so that a scan tells leaves from directories without reading the slots.</summary>
    public SlotBits Directories;
}

/// <summary>512 bits, one per slot of a table page, inline in the page.</summary>
[System.Runtime.CompilerServices.InlineArray(Words)]
internal struct SlotBits
{
    public const int Words = IoTablePage.Entries / 64;

    private ulong _word;

    public void Set(int index) => this[index >> 6] |= 1UL << (index & 63);

    public void Clear(int index) => this[index >> 6] &= ~(1UL << (index & 63));

    public readonly bool IsSet(int index) => (this[index >> 6] & (1UL << (index & 63))) != 0;

    public readonly bool IsEmpty
    {
        get
        {
            foreach (var word in this)
                if (word != 0) return false;
            return true;
        }
    }
}
