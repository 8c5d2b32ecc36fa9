using IommuSim.Messages;

namespace IommuSim.Actors.Hmm;

/// <summary>One valid entry found by <see cref="HmmPageTable.Entries"/>: the base address of its granule and the entry.</summary>
public readonly record struct HmmPtEntry(ulong Address, HmmPte Pte)
{
    public override string ToString() => $"{AddressFormat.Hex(Address)}: {Pte}";
}
