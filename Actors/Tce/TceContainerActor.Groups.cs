using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Tce;

namespace IommuSim.Actors.Tce;

// Groups (tce_iommu_attach_group / tce_iommu_detach_group with iommu_take_ownership) and the
// enable/disable pair with its locked-memory accounting (tce_iommu_enable / tce_iommu_disable).
public sealed partial class TceContainerActor
{
    private bool _enabled;
    private long _lockedPages;

    /// <summary>
    /// tce_iommu_attach_group of the v1 container: one group only (EBUSY for a second, or when
    /// enabled), the group's tables taken over (spapr_tce_take_ownership: EINVAL without exchange,
    /// EBUSY in use), then each device attached on the PHB with the container as its domain. A
    /// device the unit refuses undoes everything and answers the unit's errno.
    /// </summary>
    private void OnAttachGroup(TceAttachGroup attach)
    {
        if (!_platformGroups.TryGetValue(attach.Group, out var group))
        {
            Finish(Errno.ENODEV);
            return;
        }
        if (_group is not null || _enabled)
        {
            Finish(Errno.EBUSY);
            return;
        }
        var err = group.TakeOwnership();
        if (err != Errno.None)
        {
            Finish(err);
            return;
        }
        var geometry = new IommuDomainGeometry(IoPageTableFormats.PowerTce, group.PageSizes, group.Unit.Capabilities.InputAddressBits, false);
        var attached = new List<string>();
        var failed = Errno.None;
        var pending = group.Devices.Count;
        if (pending == 0)
        {
            _group = group;
            Finish(Errno.None);
            return;
        }
        foreach (var device in group.Devices)
        {
            group.Unit.Ref.Tell(new UnitAttachDevice(device, Self, IommuDomainType.Unmanaged, geometry), Self);
            _unitWaits.Enqueue(errno =>
            {
                if (errno == Errno.None) attached.Add(device);
                else if (failed == Errno.None) failed = errno;
                if (--pending > 0) return;
                if (failed == Errno.None)
                {
                    _group = group;
                    Finish(Errno.None);
                    return;
                }
                DetachDevices(group, attached, () =>
                {
                    group.ReleaseOwnership();
                    Finish(failed);
                });
            });
        }
    }

    /// <summary>
    /// tce_iommu_detach_group: an enabled container is disabled, every entry of every table is
    /// exchanged with an empty one, the PHB's cache killed, the pages released, the tables handed
    /// back (iommu_release_ownership) and the devices blocked. EINVAL for a group not attached.
    /// </summary>
    private void OnDetachGroup(TceDetachGroup detach)
    {
        if (_group is not { } group || !string.Equals(group.Name, detach.Group, StringComparison.Ordinal))
        {
            Finish(Errno.EINVAL);
            return;
        }
        Disable();
        ClearTables(group.Tables, 0, () =>
        {
            group.ReleaseOwnership();
            _group = null;
            DetachDevices(group, group.Devices, () => Finish(Errno.None));
        });
    }

    /// <summary>Clears the tables from index <paramref name="next"/> on, one after the other (each waits for its kill), then runs <paramref name="done"/>.</summary>
    private void ClearTables(IReadOnlyList<TceTable> tables, int next, Action done)
    {
        if (next == tables.Count)
        {
            done();
            return;
        }
        var table = tables[next];
        Clear(table, table.Offset, table.Size, () => ClearTables(tables, next + 1, done));
    }

    /// <summary>Blocks the devices' DMA again on the unit and runs <paramref name="done"/> once the unit answered each.</summary>
    private void DetachDevices(TceTableGroup group, IReadOnlyList<string> devices, Action done)
    {
        if (devices.Count == 0)
        {
            done();
            return;
        }
        var pending = devices.Count;
        foreach (var device in devices)
        {
            group.Unit.Ref.Tell(new UnitDetachDevice(device, Self), Self);
            _unitWaits.Enqueue(_ =>
            {
                if (--pending == 0) done();
            });
        }
    }

    /// <summary>The unit answers attaches and detaches in the order they were sent.</summary>
    private void OnUnitAnswer(Errno errno)
    {
        if (_unitWaits.TryDequeue(out var next)) next(errno);
    }

    /// <summary>
    /// tce_iommu_enable: the whole default window counts as locked memory (the worst case of what
    /// the guest can map, since the map path is too hot to account page by page). EBUSY when
    /// enabled, ENODEV without a group, EPERM without a 32-bit window, ENOMEM past RLIMIT_MEMLOCK
    /// unless CAP_IPC_LOCK (account_locked_vm).
    /// </summary>
    /// <remarks>
    /// The kernel adds to mm->locked_vm, shared by every container and pinning user of the process;
    /// the model keeps the count in the container, as if the process had this one container.
    /// </remarks>
    private void OnEnable()
    {
        if (_enabled)
        {
            Finish(Errno.EBUSY);
            return;
        }
        if (_group is not { } group)
        {
            Finish(Errno.ENODEV);
            return;
        }
        if (group.Tce32Size == 0)
        {
            Finish(Errno.EPERM);
            return;
        }
        var locked = (long)(group.Tce32Size >> PageSize.BaseShift);
        var limit = _options.MemlockLimitBytes >> PageSize.BaseShift;
        if (!_options.CapIpcLock && (ulong)(_lockedPages + locked) > limit)
        {
            Finish(Errno.ENOMEM);
            return;
        }
        _lockedPages += locked;
        _enabled = true;
        Finish(Errno.None);
    }

    /// <summary>tce_iommu_disable: a disabled container is no error.</summary>
    private void OnDisable()
    {
        Disable();
        Finish(Errno.None);
    }

    private void Disable()
    {
        if (!_enabled) return;
        _enabled = false;
        _lockedPages = 0;
    }

    /// <summary>VFIO_IOMMU_SPAPR_TCE_GET_INFO: the default window; ENXIO without a group.</summary>
    private void OnGetInfo()
    {
        if (_group is not { } group)
        {
            Finish(new TceInfo(Errno.ENXIO, 0, 0));
            return;
        }
        Finish(new TceInfo(Errno.None, group.Tce32Start, group.Tce32Size));
    }
}
