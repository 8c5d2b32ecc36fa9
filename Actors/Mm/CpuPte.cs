using IommuSim.Messages;
using IommuSim.Runtime;

namespace IommuSim.Actors.Mm;

/// <summary>What a CPU page-table entry maps.</summary>
internal enum CpuPteKind
{
    /// <summary>A present pte of a system-RAM page the mm holds a reference on.</summary>
    Frame,

    /// <summary>The read-only shared zero page (a read fault of private anonymous memory); holds no reference.</summary>
    Zero,

    /// <summary>A device-private swap entry (make_writable_device_private_entry): the page lives in a device's memory; any CPU access migrates it back.</summary>
    DevicePrivate,

    /// <summary>A device-exclusive entry (make_device_exclusive): the page stays in RAM, one device has atomic access, the next CPU access restores the pte.</summary>
    Exclusive,
}

/// <summary>
/// One CPU page-table entry. <see cref="Writable"/> is the pte's write bit (a private page that
/// is not writable in a writable VMA is copy-on-write). <see cref="Owner"/> is the device that
/// owns a device-private page or has exclusive access; <see cref="ExclusiveMirror"/> is the
/// mirror whose device has exclusive access.
/// </summary>
internal readonly record struct CpuPte(CpuPteKind Kind, Pfn Pfn, bool Writable, string? Owner = null, IActorRef? ExclusiveMirror = null)
{
    public static CpuPte Frame(Pfn pfn, bool writable) => new(CpuPteKind.Frame, pfn, writable);

    /// <summary>Whether the entry holds a page reference that unmapping it must put.</summary>
    public bool HoldsReference => Kind != CpuPteKind.Zero;
}
