using System.Runtime.CompilerServices;
using IommuSim.Messages;

namespace IommuSim.Hardware.Memory;

/// <summary>
/// The machine's physical memory: host RAM plus the device-private memory of each device that
/// registered some (memremap_pages with MEMORY_DEVICE_PRIVATE, as lib/test_hmm.c's dmirror
/// does). Each is a <see cref="FramePool"/> with its own pfn range; a pfn identifies its pool
/// by range, so <see cref="PoolOf"/> needs no dictionary.
/// </summary>
/// <remarks>
/// Thread-safe (see <see cref="FramePool"/> for the per-frame design). The pool list is
/// copy-on-write: <see cref="AddDevicePool"/> publishes a new array under a lock and lookups
/// read whichever array is current without locking.
/// </remarks>
public sealed partial class PhysicalMemory
{
    /// <summary>Owner name of host RAM, as /proc/iomem calls it.</summary>
    public const string SystemRamOwner = "System RAM";

    /// <summary>
    /// First pfn of host RAM: 1 MiB, the low megabyte x86 keeps for firmware. It also makes
    /// pfn 0 (a default <see cref="Pfn"/>) belong to no pool, so a forgotten initialisation is
    /// <see cref="Errno.ENXIO"/> instead of silently hitting a real page.
    /// </summary>
    public const ulong SystemRamBasePfn = 0x100;

    /// <summary>Device pools start at a 1 GiB boundary above everything placed before them.</summary>
    public const int DevicePoolAlignShift = 30;

    private readonly Lock _poolsLock = new();
    private FramePool[] _devicePools = [];

    /// <param name="ramBytes">Host RAM size; a multiple of 4 KiB, at most 2^52 bytes.</param>
    public PhysicalMemory(ulong ramBytes)
    {
        SystemRam = new FramePool(MemoryKind.SystemRam, SystemRamOwner, new Pfn(SystemRamBasePfn), FramesOf(ramBytes, nameof(ramBytes)));
    }

    public FramePool SystemRam { get; }

    public IReadOnlyList<FramePool> DevicePools => Volatile.Read(ref _devicePools);

    /// <summary>
    /// Registers <paramref name="bytes"/> of device-private memory owned by
    /// <paramref name="owner"/> (devm_memremap_pages on a region from
    /// devm_request_free_mem_region). Its pfns start at the next 1 GiB boundary above the
    /// highest pool. Owners are unique: a second pool for the same owner is a configuration
    /// error (<see cref="ArgumentException"/>).
    /// </summary>
    public FramePool AddDevicePool(string owner, ulong bytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        var frames = FramesOf(bytes, nameof(bytes));
        lock (_poolsLock)
        {
            var pools = _devicePools;
            if (owner == SystemRamOwner || Array.Exists(pools, p => p.Owner == owner))
                throw new ArgumentException($"a memory pool owned by '{owner}' already exists", nameof(owner));
            var top = pools.Length == 0 ? SystemRam.EndPfn.Value : pools[^1].EndPfn.Value;
            const ulong alignFrames = 1UL << (DevicePoolAlignShift - PageSize.BaseShift);
            var basePfn = (top + alignFrames - 1) & ~(alignFrames - 1);
            if (basePfn + frames > 1UL << (64 - PageSize.BaseShift) || basePfn + frames < basePfn)
                throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "device memory does not fit in the physical address space");
            var pool = new FramePool(MemoryKind.DevicePrivate, owner, new Pfn(basePfn), frames);
            var grown = new FramePool[pools.Length + 1];
            Array.Copy(pools, grown, pools.Length);
            grown[^1] = pool;
            Volatile.Write(ref _devicePools, grown);
            return pool;
        }
    }

    /// <summary>The pool a pfn belongs to, or null if it is no memory at all.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public FramePool? PoolOf(Pfn pfn)
    {
        var ram = SystemRam;
        if (pfn.Value - ram.BasePfn.Value < ram.Frames) return ram;
        return DevicePoolOf(pfn);
    }

    /// <summary>The owner of the memory a pfn belongs to ("System RAM" or a device name), or null.</summary>
    public string? OwnerOf(Pfn pfn) => PoolOf(pfn)?.Owner;

    /// <summary>is_device_private_page(): the pfn is in some device's private memory.</summary>
    public bool IsDevicePrivate(Pfn pfn) => DevicePoolOf(pfn) is not null;

    /// <summary>Page accounting summed over host RAM and every device pool.</summary>
    public MemoryCounters Counters
    {
        get
        {
            var total = SystemRam.Counters;
            foreach (var pool in Volatile.Read(ref _devicePools)) total += pool.Counters;
            return total;
        }
    }

    private FramePool? DevicePoolOf(Pfn pfn)
    {
        foreach (var pool in Volatile.Read(ref _devicePools))
            if (pfn.Value - pool.BasePfn.Value < pool.Frames) return pool;
        return null;
    }

    private static ulong FramesOf(ulong bytes, string paramName)
    {
        if (!PageSize.Size4K.IsAligned(bytes))
            throw new ArgumentOutOfRangeException(paramName, bytes, "memory size must be a multiple of 4 KiB");
        if (bytes > 1UL << 52)
            throw new ArgumentOutOfRangeException(paramName, bytes, "memory size must be at most 4 PiB");
        return bytes >> PageSize.BaseShift;
    }
}
