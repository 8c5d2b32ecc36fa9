using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

/// <summary>Outcome of one hardware page-table walk (<see cref="IoPageTable.Walk"/>).</summary>
public enum IoWalkStatus : byte
{
    /// <summary>A leaf maps the IOVA and grants the requested access.</summary>
    Ok,
    /// <summary>No leaf maps the IOVA: the DMA faults (or, with PRI, raises a page request).</summary>
    NotPresent,
    /// <summary>A leaf maps the IOVA but lacks a requested permission (a write to a read-only page).</summary>
    PermissionFault,
    /// <summary>The IOVA is wider than the table's input address width.</summary>
    OutOfRange,
}

/// <summary>
/// What the walker found. <see cref="Levels"/> is the number of table pages read, which the
/// cost model charges per level. For a leaf (Ok or PermissionFault) <see cref="PageBase"/>,
/// <see cref="PageSize"/>, <see cref="Prot"/> and <see cref="Dirty"/> describe the IOPTE and
/// <see cref="Phys"/> is the translated address (page base plus the IOVA's offset in the page).
/// For NotPresent, <see cref="SpanBytes"/> is the size of the IOVA block the empty entry covers
/// (4 KiB for an empty last-level slot, 2 MiB for an empty directory slot one level up, ...), so
/// that a scanner can skip it whole, as AMD's fetch_pte reports the size of an absent level.
/// </summary>
public readonly record struct IoWalk(
    IoWalkStatus Status,
    PhysAddr Phys,
    PhysAddr PageBase,
    PageSize PageSize,
    IoProt Prot,
    bool Dirty,
    int Levels,
    ulong SpanBytes)
{
    public bool IsOk => Status == IoWalkStatus.Ok;
}
