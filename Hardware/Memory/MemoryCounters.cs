namespace IommuSim.Hardware.Memory;

/// <summary>
/// A snapshot of one frame pool's (or of the whole machine's) page accounting.
/// Pins follow the kernel's vmstat pair nr_foll_pin_acquired / nr_foll_pin_released: at
/// teardown <see cref="PinsAcquired"/> must equal <see cref="PinsReleased"/>.
/// </summary>
/// <param name="Allocated">Pages handed out by the allocator since boot.</param>
/// <param name="Freed">Pages returned to the allocator (reference count dropped to 0).</param>
/// <param name="Peak">Highest number of pages live at once.</param>
/// <param name="PinnedPages">Pages whose pin count is currently above zero.</param>
/// <param name="PinsAcquired">Successful pins (nr_foll_pin_acquired).</param>
/// <param name="PinsReleased">Successful unpins (nr_foll_pin_released).</param>
/// <param name="AllocFailures">Allocations refused with ENOMEM because the pool was full.</param>
/// <param name="UseAfterFree">Operations attempted on a free frame (get, put, pin, dirty, read, write, copy).</param>
/// <param name="FreedWhilePinned">Pages whose last reference went away while pins were outstanding (a put without a matching get).</param>
/// <param name="BadUnpins">Unpins of a live page that had no pin (unpin without pin).</param>
public readonly record struct MemoryCounters(
    long Allocated,
    long Freed,
    long Peak,
    long PinnedPages,
    long PinsAcquired,
    long PinsReleased,
    long AllocFailures,
    long UseAfterFree,
    long FreedWhilePinned,
    long BadUnpins)
{
    /// <summary>Pages currently allocated.</summary>
    public long Live => Allocated - Freed;

    /// <summary>Pins not yet released.</summary>
    public long Pinned => PinsAcquired - PinsReleased;

    /// <summary>Sum of two snapshots (peaks add, an upper bound of the joint peak).</summary>
    public static MemoryCounters operator +(MemoryCounters a, MemoryCounters b) => new(
        a.Allocated + b.Allocated,
        a.Freed + b.Freed,
        a.Peak + b.Peak,
        a.PinnedPages + b.PinnedPages,
        a.PinsAcquired + b.PinsAcquired,
        a.PinsReleased + b.PinsReleased,
        a.AllocFailures + b.AllocFailures,
        a.UseAfterFree + b.UseAfterFree,
        a.FreedWhilePinned + b.FreedWhilePinned,
        a.BadUnpins + b.BadUnpins);
}
