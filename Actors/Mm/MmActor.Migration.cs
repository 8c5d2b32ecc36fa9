using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Mm;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Actors.Mm;

// Migration to device-private memory and back (mm/migrate_device.c: migrate_vma_setup /
// migrate_vma_pages / migrate_vma_finalize, as lib/test_hmm.c drives them) and
// make_device_exclusive (mm/rmap.c). Each runs as one MIGRATE invalidation of its range: once
// every device has let go of the range, the entries can change.
public sealed partial class MmActor
{
    /// <summary>
    /// dmirror_migrate_to_device's mm side. All checks come first, so an error migrates nothing:
    /// EINVAL (range, VMA, read permission), ENOENT (a page that would not end up in this
    /// device's memory: a shared mapping, another device's page, a copy-on-write page with other
    /// users, which migrate_vma_check_page refuses), ENOMEM (device memory too small).
    /// </summary>
    private void OnMigrateToDevice(MigrateToDevice m, IActorRef replyTo)
    {
        var device = DeviceOf(replyTo);
        void Fail(Errno e) => replyTo.Tell(new MigrateReply(e, _sequence, 0, []), Self);
        if (device == null || !IsValidPageRange(m.Range) || !AllPagesReadable(m.Range))
        {
            Fail(Errno.EINVAL);
            return;
        }
        var pool = DevicePool(device);
        long needed = 0;
        var refused = false;
        ForEachPage(m.Range, (vpn, vma) =>
        {
            if (vma!.IsShared)
            {
                refused = true;
                return;
            }
            if (!_pt.TryGet(vpn, out var pte))
            {
                needed++;
                return;
            }
            switch (pte.Kind)
            {
                case CpuPteKind.DevicePrivate:
                    refused |= pte.Owner != device;
                    break;
                case CpuPteKind.Frame:
                    refused |= _memory.PageRefCount(pte.Pfn) > 1;
                    needed++;
                    break;
                default:
                    needed++;
                    break;
            }
        });
        if (refused)
        {
            Fail(Errno.ENOENT);
            return;
        }
        if (needed > 0 && (pool == null || (long)pool.Frames - pool.Counters.Live < needed))
        {
            Fail(Errno.ENOMEM);
            return;
        }
        if (needed == 0)
        {
            replyTo.Tell(new MigrateReply(Errno.None, _sequence, 0, DevicePages(m.Range, device)), Self);
            return;
        }
        MigrateReply? result = null;
        Invalidate(
            [new InvalidationRange(m.Range, InvalidationEvent.Migrate)],
            () => result = MigrateRangeToDevice(m.Range, device, pool!),
            () => replyTo.Tell(result! with { Sequence = _sequence }, Self));
    }

    // dmirror_migrate_alloc_and_copy + migrate_vma_pages + finalize: every page not yet on the
    // device gets a device page holding its contents (zero for a hole or the zero page), with
    // the write permission of its pte (or of the VMA for a hole: MIGRATE_PFN_WRITE).
    private MigrateReply MigrateRangeToDevice(AddressRange range, string device, FramePool pool)
    {
        var journal = new PteJournal();
        long migrated = 0;
        var err = Errno.None;
        ForEachPage(range, (vpn, vma) =>
        {
            if (err != Errno.None) return;
            var present = _pt.TryGet(vpn, out var pte);
            if (present && pte.Kind == CpuPteKind.DevicePrivate) return;
            err = pool.AllocPage(out var devicePage);
            if (err != Errno.None) return;
            journal.Allocated(devicePage);
            bool writable;
            if (!present || pte.Kind == CpuPteKind.Zero)
            {
                writable = vma!.CanWrite;
            }
            else
            {
                _memory.CopyPage(devicePage, pte.Pfn);
                journal.PutLater(pte.Pfn);
                writable = pte.Kind == CpuPteKind.Exclusive || pte.Writable;
            }
            SetPte(vpn, new CpuPte(CpuPteKind.DevicePrivate, devicePage, writable, device), journal);
            migrated++;
        });
        if (err != Errno.None)
        {
            RollbackJournal(journal);
            return new MigrateReply(err, _sequence, 0, []);
        }
        CommitJournal(journal);
        return new MigrateReply(Errno.None, _sequence, migrated, DevicePages(range, device));
    }

    /// <summary>For each page of the range, the device page if it lives in <paramref name="device"/>'s memory, else null.</summary>
    private HmmPfn?[] DevicePages(AddressRange range, string device)
    {
        var pages = new HmmPfn?[range.Pages];
        var i = 0;
        ForEachPage(range, (vpn, vma) =>
        {
            pages[i++] = vma != null && _pt.TryGet(vpn, out var pte) && pte.Kind == CpuPteKind.DevicePrivate && pte.Owner == device
                ? ToHmmPfn(pte, vma)
                : null;
        });
        return pages;
    }

    /// <summary>dmirror_migrate_to_system's mm side: this device's pages of the range come back to RAM. EINVAL as for migration to the device.</summary>
    private void OnMigrateToSystem(MigrateToSystem m, IActorRef replyTo)
    {
        var device = DeviceOf(replyTo);
        if (device == null || !IsValidPageRange(m.Range) || !AllPagesReadable(m.Range))
        {
            replyTo.Tell(new MigrateReply(Errno.EINVAL, _sequence, 0, []), Self);
            return;
        }
        var pages = new List<(ulong Vpn, InvalidationEvent Event)>();
        ForEachPage(m.Range, (vpn, _) =>
        {
            if (_pt.TryGet(vpn, out var pte) && pte.Kind == CpuPteKind.DevicePrivate && pte.Owner == device)
                pages.Add((vpn, InvalidationEvent.Migrate));
        });
        MigrateBack(pages, replyTo);
    }

    /// <summary>
    /// dmirror_device_evict_chunk's mm side (migrate_device_range, HMM_DMIRROR_RELEASE): every
    /// page of the requesting device's memory in this mm comes back to RAM, wherever it is mapped.
    /// </summary>
    private void OnEvictDeviceMemory(IActorRef replyTo)
    {
        var device = DeviceOf(replyTo);
        if (device == null)
        {
            replyTo.Tell(new MigrateReply(Errno.EINVAL, _sequence, 0, []), Self);
            return;
        }
        var pages = new List<(ulong Vpn, InvalidationEvent Event)>();
        // In address order, as the table iterates.
        foreach (var (vpn, pte) in _pt.All)
            if (pte.Kind == CpuPteKind.DevicePrivate && pte.Owner == device) pages.Add((vpn, InvalidationEvent.Migrate));
        MigrateBack(pages, replyTo);
    }

    // Migrates the given device-private pages back to RAM under one MIGRATE invalidation; all or nothing.
    private void MigrateBack(List<(ulong Vpn, InvalidationEvent Event)> pages, IActorRef replyTo)
    {
        if (pages.Count == 0)
        {
            replyTo.Tell(new MigrateReply(Errno.None, _sequence, 0, []), Self);
            return;
        }
        MigrateReply? result = null;
        void Apply()
        {
            var journal = new PteJournal();
            foreach (var (vpn, _) in pages)
            {
                var err = FaultIn(vpn, FindVma(AddrOf(vpn))!, write: false, journal);
                if (err == Errno.None) continue;
                RollbackJournal(journal);
                result = new MigrateReply(err, 0, 0, []);
                return;
            }
            CommitJournal(journal);
            result = new MigrateReply(Errno.None, 0, pages.Count, []);
        }
        Invalidate(Coalesce(pages), Apply, () => replyTo.Tell(result! with { Sequence = _sequence }, Self));
    }

    /// <summary>
    /// make_device_exclusive for each page of the range on behalf of the requesting mirror: the
    /// page is faulted in for write (FOLL_WRITE: a missing VMA or one without read and write
    /// permission is EFAULT), then its pte becomes a device-exclusive entry.
    /// </summary>
    private void OnMakeDeviceExclusive(MakeDeviceExclusive m, IActorRef replyTo)
    {
        var mirror = MirrorOf(replyTo);
        if (mirror == null || !IsValidPageRange(m.Range))
        {
            replyTo.Tell(new RangeFaultReply(Errno.EINVAL, _sequence, []), Self);
            return;
        }
        var permitted = true;
        ForEachPage(m.Range, (_, vma) => permitted &= vma is { CanRead: true, CanWrite: true });
        if (!permitted)
        {
            replyTo.Tell(new RangeFaultReply(Errno.EFAULT, _sequence, []), Self);
            return;
        }
        RangeFaultReply? result = null;
        void Apply()
        {
            var journal = new PteJournal();
            var pages = new HmmPfn[m.Range.Pages];
            var i = 0;
            var err = Errno.None;
            ForEachPage(m.Range, (vpn, vma) =>
            {
                if (err != Errno.None) return;
                err = FaultIn(vpn, vma!, write: true, journal);
                if (err != Errno.None) return;
                var pfn = _pt[vpn].Pfn;
                SetPte(vpn, new CpuPte(CpuPteKind.Exclusive, pfn, true, mirror.Device, mirror.Mirror), journal);
                pages[i++] = new HmmPfn(pfn, true);
            });
            if (err != Errno.None)
            {
                RollbackJournal(journal);
                result = new RangeFaultReply(err, 0, []);
                return;
            }
            CommitJournal(journal);
            result = new RangeFaultReply(Errno.None, 0, pages);
        }
        Invalidate([new InvalidationRange(m.Range, InvalidationEvent.Migrate)], Apply, () => replyTo.Tell(result! with { Sequence = _sequence }, Self));
    }

    /// <summary>Every page has a VMA with read permission (the migrate paths' vma_lookup + VM_READ check).</summary>
    private bool AllPagesReadable(AddressRange range)
    {
        var ok = true;
        ForEachPage(range, (_, vma) => ok &= vma is { CanRead: true });
        return ok;
    }

    /// <summary>The device-private memory registered for a device (its pgmap), or null.</summary>
    private FramePool? DevicePool(string device)
    {
        foreach (var pool in _memory.DevicePools)
            if (pool.Owner == device) return pool;
        return null;
    }
}
