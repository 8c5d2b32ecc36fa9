using System.Globalization;
using IommuSim.Messages;

namespace IommuSim.Actors.Hmm;

/// <summary>
/// One HMM page-table entry (include/linux/hmm_pt.h, seed 001 v2): a 64-bit dma_addr_t-sized
/// value holding either a host pfn or a DMA address in the bits above PAGE_SHIFT, with flags in
/// the low 12 bits. Bit layout as the seed's header:
/// <list type="table">
/// <item><term>bit 0</term><description>HMM_PTE_VALID_DMA_BIT: the entry holds a DMA address.</description></item>
/// <item><term>bit 1</term><description>HMM_PTE_VALID_PFN_BIT: the entry holds a pfn.</description></item>
/// <item><term>bit 2</term><description>HMM_PTE_WRITE_BIT: the device may write.</description></item>
/// <item><term>bit 3</term><description>HMM_PTE_DIRTY_BIT.</description></item>
/// <item><term>bits 4-11</term><description>from HMM_PTE_HW_SHIFT: reserved for the device driver's own flags (v2: "reserve low bit for private device specific flags").</description></item>
/// </list>
/// </summary>
/// <remarks>
/// Typed as the seed 001 review asks of hmm_pte_pfn / hmm_pde_pfn: an entry made from a
/// <see cref="Messages.Pfn"/> gives back a <see cref="Messages.Pfn"/>, one made from a
/// <see cref="Messages.DmaAddr"/> gives back a <see cref="Messages.DmaAddr"/>, and asking a DMA
/// entry for its pfn (or the reverse) gives null, never a number that looks valid. The only
/// ways to build an entry are <see cref="FromPfn"/> and <see cref="FromDmaAddr"/> (and the
/// <c>With*</c> flag edits), so exactly one of the two valid bits is set in any valid entry.
/// </remarks>
public readonly record struct HmmPte
{
    public const int ValidDmaBit = 0;
    public const int ValidPfnBit = 1;
    public const int WriteBit = 2;
    public const int DirtyBit = 3;

    /// <summary>HMM_PTE_HW_SHIFT: first bit of the driver-private flags.</summary>
    public const int DriverShift = 4;

    /// <summary>Number of driver-private bits (4 to 11, below PAGE_SHIFT).</summary>
    public const int DriverBits = PageSize.BaseShift - DriverShift;

    private const ulong ValidDma = 1UL << ValidDmaBit;
    private const ulong ValidPfn = 1UL << ValidPfnBit;
    private const ulong Write = 1UL << WriteBit;
    private const ulong Dirty = 1UL << DirtyBit;
    private const ulong ValidMask = ValidDma | ValidPfn;
    private const ulong DriverMask = ((1UL << DriverBits) - 1) << DriverShift;

    /// <summary>HMM_PTE_PFN_MASK / HMM_PTE_DMA_MASK: the address bits (PAGE_MASK).</summary>
    private const ulong AddressMask = ~((1UL << PageSize.BaseShift) - 1);

    /// <summary>Largest pfn an entry holds: pfn &lt;&lt; PAGE_SHIFT must fit in 64 bits.</summary>
    public const ulong MaxPfn = (1UL << (64 - PageSize.BaseShift)) - 1;

    private HmmPte(ulong raw) => Raw = raw;

    /// <summary>The stored 64-bit value.</summary>
    public ulong Raw { get; }

    /// <summary>The empty entry (0): nothing mapped.</summary>
    public static HmmPte Empty => default;

    /// <summary>hmm_pte_from_pfn(): (pfn &lt;&lt; PAGE_SHIFT) | VALID_PFN, plus WRITE if asked.</summary>
    public static HmmPte FromPfn(Pfn pfn, bool write = false)
    {
        if (pfn.Value > MaxPfn)
            throw new ArgumentOutOfRangeException(nameof(pfn), pfn, "pfn does not fit in an HMM entry");
        return new HmmPte((pfn.Value << PageSize.BaseShift) | ValidPfn | (write ? Write : 0));
    }

    /// <summary>
    /// hmm_pte_from_dma_addr(): (dma_addr &amp; HMM_PTE_DMA_MASK) | VALID_DMA. The kernel masks
    /// silently; here an address that is not page aligned is a caller bug
    /// (<see cref="ArgumentException"/>), because the masked bits would be lost.
    /// </summary>
    public static HmmPte FromDmaAddr(DmaAddr dma, bool write = false)
    {
        if ((dma.Value & ~AddressMask) != 0)
            throw new ArgumentException($"DMA address {dma} is not page aligned", nameof(dma));
        return new HmmPte(dma.Value | ValidDma | (write ? Write : 0));
    }

    /// <summary>Rebuilds an entry from a stored value. Only the table and its tests use it.</summary>
    internal static HmmPte FromRaw(ulong raw) => new(raw);

    /// <summary>Holds a pfn or a DMA address (what a directory's refcount counts).</summary>
    public bool IsValid => (Raw & ValidMask) != 0;

    /// <summary>hmm_pte_test_valid_pfn().</summary>
    public bool IsValidPfn => (Raw & ValidMask) == ValidPfn;

    /// <summary>hmm_pte_test_valid_dma().</summary>
    public bool IsValidDma => (Raw & ValidMask) == ValidDma;

    /// <summary>Whether the raw value is well formed: 0, or exactly one valid bit.</summary>
    internal bool IsWellFormed => Raw == 0 || (Raw & ValidMask) is ValidDma or ValidPfn;

    /// <summary>hmm_pte_test_write().</summary>
    public bool IsWrite => (Raw & Write) != 0;

    /// <summary>hmm_pte_test_dirty().</summary>
    public bool IsDirty => (Raw & Dirty) != 0;

    /// <summary>The driver-private bits (HMM_PTE_HW_SHIFT and up), as a small integer.</summary>
    public uint DriverFlags => (uint)((Raw & DriverMask) >> DriverShift);

    /// <summary>hmm_pte_pfn(), typed: the pfn of a pfn entry, null for a DMA or empty entry.</summary>
    public Pfn? Pfn => IsValidPfn ? new Pfn(Raw >> PageSize.BaseShift) : null;

    /// <summary>hmm_pte_dma_addr(), typed: the address of a DMA entry, null for a pfn or empty entry.</summary>
    public DmaAddr? DmaAddr => IsValidDma ? new DmaAddr(Raw & AddressMask) : null;

    public bool TryGetPfn(out Pfn pfn)
    {
        pfn = new Pfn(Raw >> PageSize.BaseShift);
        return IsValidPfn;
    }

    public bool TryGetDmaAddr(out DmaAddr dma)
    {
        dma = new DmaAddr(Raw & AddressMask);
        return IsValidDma;
    }

    /// <summary>hmm_pte_set_write() / hmm_pte_clear_write() on a copy (write-protect uses false).</summary>
    public HmmPte WithWrite(bool write) => new(write ? Raw | Write : Raw & ~Write);

    /// <summary>hmm_pte_set_dirty() / hmm_pte_clear_dirty() on a copy.</summary>
    public HmmPte WithDirty(bool dirty) => new(dirty ? Raw | Dirty : Raw & ~Dirty);

    /// <summary>Replaces the driver-private bits; <paramref name="flags"/> must fit in <see cref="DriverBits"/> bits.</summary>
    public HmmPte WithDriverFlags(uint flags)
    {
        if (flags >> DriverBits != 0)
            throw new ArgumentOutOfRangeException(nameof(flags), flags, $"driver flags are {DriverBits} bits");
        return new HmmPte((Raw & ~DriverMask) | ((ulong)flags << DriverShift));
    }

    public override string ToString()
    {
        if (!IsValid) return Raw == 0 ? "none" : "invalid:" + AddressFormat.Hex(Raw);
        var target = IsValidPfn ? Pfn!.Value.ToString() : "dma:" + DmaAddr!.Value;
        var flags = (IsWrite ? "w" : "r") + (IsDirty ? "d" : "");
        var driver = DriverFlags == 0 ? "" : " drv:" + DriverFlags.ToString("x", CultureInfo.InvariantCulture);
        return $"{target} {flags}{driver}";
    }
}
