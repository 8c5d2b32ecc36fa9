namespace IommuSim.Messages;

/// <summary>
/// A half-open range [Start, End) of addresses in one address space, the shape of
/// struct mmu_notifier_range and struct hmm_range. End is exclusive; an empty range has Start == End.
/// </summary>
public readonly record struct AddressRange(ulong Start, ulong End)
{
    public ulong Length => End - Start;
    public bool IsEmpty => End <= Start;
    public ulong Pages => (End - Start) >> PageSize.BaseShift;
    public bool Contains(ulong addr) => addr >= Start && addr < End;
    public bool Contains(AddressRange other) => other.Start >= Start && other.End <= End;
    public bool Overlaps(AddressRange other) => Start < other.End && other.Start < End;
    public AddressRange Intersect(AddressRange other) =>
        new(Math.Max(Start, other.Start), Math.Max(Math.Max(Start, other.Start), Math.Min(End, other.End)));
    public static AddressRange FromLength(ulong start, ulong length) => new(start, start + length);
    public override string ToString() => $"[{AddressFormat.Hex(Start)}, {AddressFormat.Hex(End)})";
}
