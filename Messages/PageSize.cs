namespace IommuSim.Messages;

/// <summary>
/// A page size given by its shift. The model uses 4 KiB base pages (PAGE_SHIFT = 12) and the
/// x86-64 / ARM64-4K huge sizes 2 MiB (PMD) and 1 GiB (PUD); TCE tables may use other IOMMU page
/// shifts (e.g. 64 KiB, 16 MiB), so any shift from 12 to 40 is accepted.
/// </summary>
public readonly record struct PageSize
{
    public const int BaseShift = 12;

    public static readonly PageSize Size4K = new(12);
    public static readonly PageSize Size2M = new(21);
    public static readonly PageSize Size1G = new(30);

    public int Shift { get; }

    public PageSize(int shift)
    {
        if (shift is < BaseShift or > 40)
            throw new ArgumentOutOfRangeException(nameof(shift), shift, "page shift must be between 12 and 40");
        Shift = shift;
    }

    public ulong Bytes => 1UL << Shift;
    public ulong Mask => ~(Bytes - 1);
    /// <summary>How many 4 KiB base pages one page of this size covers.</summary>
    public ulong BasePages => 1UL << (Shift - BaseShift);

    public bool IsAligned(ulong value) => (value & (Bytes - 1)) == 0;
    public ulong AlignDown(ulong value) => value & Mask;
    /// <summary>Rounds up; the caller checks for wrap (a value within a page of 2^64 wraps to 0).</summary>
    public ulong AlignUp(ulong value) => (value + Bytes - 1) & Mask;

    /// <summary>Accepts a byte count that is a power of two between 4 KiB and 1 TiB.</summary>
    public static bool TryFromBytes(ulong bytes, out PageSize size)
    {
        size = default;
        if (bytes == 0 || (bytes & (bytes - 1)) != 0) return false;
        var shift = System.Numerics.BitOperations.TrailingZeroCount(bytes);
        if (shift is < BaseShift or > 40) return false;
        size = new PageSize(shift);
        return true;
    }

    public override string ToString() => Shift switch
    {
        >= 30 => $"{1UL << (Shift - 30)}GiB",
        >= 20 => $"{1UL << (Shift - 20)}MiB",
        _ => $"{1UL << (Shift - 10)}KiB",
    };
}
