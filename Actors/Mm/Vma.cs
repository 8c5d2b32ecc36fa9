using IommuSim.Messages;
using IommuSim.Messages.Mm;

namespace IommuSim.Actors.Mm;

/// <summary>
/// struct vm_area_struct of an anonymous mapping: [Start, End) page aligned, its protection and
/// whether it is private (copy-on-write after fork) or shared. <see cref="Origin"/> identifies
/// the mmap() it came from: splits keep it, and only pieces of one origin merge again
/// (vma_merge merges compatible neighbours; different shared mappings never are).
/// </summary>
internal sealed class Vma(ulong start, ulong end, Prot prot, MapKind kind, long origin)
{
    public ulong Start { get; set; } = start;
    public ulong End { get; set; } = end;
    public Prot Prot { get; set; } = prot;
    public MapKind Kind { get; } = kind;
    public long Origin { get; } = origin;

    public bool CanRead => (Prot & Prot.Read) != 0;
    public bool CanWrite => (Prot & Prot.Write) != 0;
    public bool IsShared => Kind == MapKind.Shared;
    public AddressRange Range => new(Start, End);

    public Vma CloneRange(ulong start, ulong end) => new(start, end, Prot, Kind, Origin);

    public override string ToString() =>
        $"{AddressFormat.Hex(Start)}-{AddressFormat.Hex(End)} {(CanRead ? 'r' : '-')}{(CanWrite ? 'w' : '-')}{(IsShared ? 's' : 'p')}";
}
