using System.Runtime.InteropServices;
using IommuSim.Messages;

namespace IommuSim.Actors.Hmm;

/// <summary>
/// One leaf directory found by <see cref="HmmPageTable.LeafDirectories"/>: the span it covers,
/// its count of valid entries, and its entries (all of them, for hmm_domain to map or update
/// the whole directory at once as seed 000's iommu_domain_map_directory does).
/// </summary>
public readonly struct HmmPtLeaf
{
    private readonly HmmPtDirectory _dir;
    private readonly int _granuleShift;

    internal HmmPtLeaf(HmmPtDirectory dir, int granuleShift)
    {
        _dir = dir;
        _granuleShift = granuleShift;
    }

    /// <summary>First address the directory covers (gpt_pdp_start); the key of its hmm_domain entry.</summary>
    public ulong Start => _dir.Base;

    /// <summary>Last address the directory covers, inclusive (gpt_pdp_end).</summary>
    public ulong Last => _dir.LastAddr;

    /// <summary>One past <see cref="Last"/>; wraps to 0 only for a directory ending at 2^64.</summary>
    public ulong End => _dir.LastAddr + 1;

    /// <summary>The directory's refcount: its number of valid entries.</summary>
    public int ValidEntries => _dir.RefCount;

    /// <summary>Number of entry slots (512, or npgd when the root is the leaf).</summary>
    public int EntryCount => _dir.Entries?.Length ?? 0;

    /// <summary>All entries of the directory, slot i covering <see cref="AddressOf"/>(i). Empty once the directory is freed.</summary>
    public ReadOnlySpan<HmmPte> Entries => MemoryMarshal.Cast<ulong, HmmPte>(_dir.Entries.AsSpan());

    /// <summary>Base address of slot <paramref name="index"/>.</summary>
    public ulong AddressOf(int index) => _dir.Base + ((ulong)index << _granuleShift);

    /// <summary>Whether the directory is still linked in the table (it may have been unlinked since it was found).</summary>
    public bool IsLinked => _dir.State == HmmPtDirectoryState.Linked;

    public override string ToString() =>
        $"leaf [{AddressFormat.Hex(Start)}..{AddressFormat.Hex(Last)}] {ValidEntries} valid";
}
