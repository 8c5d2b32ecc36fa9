namespace IommuSim.Messages.Iommufd;

/// <summary>
/// struct iommu_iova_range (include/uapi/linux/iommufd.h): an inclusive IOVA range [Start, Last],
/// as iommufd's interval trees hold them, so that a range can end at ULONG_MAX (the reserved space
/// above a domain's aperture, an unmap of everything). <see cref="AddressRange"/> is half-open
/// and cannot.
/// </summary>
public readonly record struct IovaRange(ulong Start, ulong Last)
{
    /// <summary>Everything: [0, ULONG_MAX].</summary>
    public static IovaRange All { get; } = new(0, ulong.MaxValue);

    /// <summary>[start, start + length - 1]; the caller has checked that length is non-zero and does not wrap.</summary>
    public static IovaRange FromLength(ulong start, ulong length) => new(start, start + (length - 1));

    /// <summary>Bytes covered; 0 stands for 2^64 (only <see cref="All"/>).</summary>
    public ulong Length => Last - Start + 1;

    public bool IsValid => Start <= Last;

    public bool Contains(ulong iova) => iova >= Start && iova <= Last;

    public bool Contains(IovaRange other) => other.Start >= Start && other.Last <= Last;

    public bool Overlaps(IovaRange other) => Start <= other.Last && other.Start <= Last;

    /// <summary>The half-open form, for ranges that end below 2^64.</summary>
    public AddressRange ToAddressRange() => new(Start, Last + 1);

    public override string ToString() => $"[{AddressFormat.Hex(Start)}, {AddressFormat.Hex(Last)}]";
}
