using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

/// <summary>
/// struct iommu_table_group (arch/powerpc/include/asm/iommu.h): one partitionable endpoint (PE)
/// of a PHB, i.e. one IOMMU group. Its devices translate their DMA through the group's TCE tables
/// (up to IOMMU_TABLE_GROUP_MAX_TABLES DMA windows), and the PHB is <see cref="Unit"/>. The first
/// table is the default 32-bit window (tce32_start, tce32_size).
/// </summary>
/// <remarks>
/// The platform makes the groups (iommu_register_group) and hands the same objects to every VFIO
/// container that may attach one; the tables' ownership flag (<see cref="TceTable.TakeOwnership"/>)
/// is what keeps two containers from using one group at once.
/// </remarks>
public sealed class TceTableGroup
{
    /// <summary>IOMMU_TABLE_GROUP_MAX_TABLES.</summary>
    public const int MaxTables = 2;

    /// <param name="name">The group's name (iommu_group_set_name: "domainN-peM").</param>
    /// <param name="unit">The PHB the group's devices sit behind.</param>
    /// <param name="devices">The devices of the group, as their unit knows them.</param>
    /// <param name="tables">The DMA windows, the default (32-bit) one first; disjoint bus address ranges.</param>
    public TceTableGroup(string name, IommuUnitHandle unit, IReadOnlyList<string> devices, params TceTable[] tables)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(tables);
        if (tables.Length is 0 or > MaxTables)
            throw new ArgumentException($"a table group has 1..{MaxTables} tables", nameof(tables));
        for (var i = 0; i < tables.Length; i++)
            for (var j = i + 1; j < tables.Length; j++)
                if (tables[i].Window.Overlaps(tables[j].Window))
                    throw new ArgumentException($"the windows {tables[i].Window} and {tables[j].Window} overlap", nameof(tables));
        Name = name;
        Unit = unit;
        Devices = [.. devices];
        Tables = [.. tables];
    }

    public string Name { get; }

    public IommuUnitHandle Unit { get; }

    public IReadOnlyList<string> Devices { get; }

    public IReadOnlyList<TceTable> Tables { get; }

    /// <summary>tce32_start: bus address of the default window.</summary>
    public ulong Tce32Start => Tables[0].Window.Start;

    /// <summary>tce32_size: bytes of bus address space of the default window.</summary>
    public ulong Tce32Size => Tables[0].Window.Length;

    /// <summary>The IOMMU page sizes of the group's tables (the pgsizes a domain geometry reports).</summary>
    public ulong PageSizes => Tables.Aggregate(0UL, (sizes, t) => sizes | t.PageSize.Bytes);

    /// <summary>
    /// spapr_tce_take_ownership: takes every table or none. The first refusal (EINVAL for a table
    /// without an exchange op, EBUSY for one in use or owned) gives back the tables taken before it.
    /// </summary>
    public Errno TakeOwnership()
    {
        for (var i = 0; i < Tables.Count; i++)
        {
            var err = Tables[i].TakeOwnership();
            if (err == Errno.None) continue;
            for (var j = 0; j < i; j++) Tables[j].ReleaseOwnership();
            return err;
        }
        return Errno.None;
    }

    /// <summary>spapr_tce_release_ownership: every table goes back to the platform (the caller cleared them).</summary>
    public void ReleaseOwnership()
    {
        foreach (var table in Tables) table.ReleaseOwnership();
    }

    public override string ToString() => $"iommu group {Name} behind {Unit.Name}";
}
