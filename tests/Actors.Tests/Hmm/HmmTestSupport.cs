using IommuSim.Actors.Hmm;
using IommuSim.Messages;
using Xunit;

namespace IommuSim.Actors.Tests.Hmm;

internal static class HmmTestSupport
{
    public const ulong Last48 = (1UL << 48) - 1;
    public const ulong PageBytes = 4096;
    public const ulong LeafBytes = 2UL << 20;

    /// <summary>A user-space-looking base, 1 GiB aligned.</summary>
    public const ulong UserBase = 0x7f00_0000_0000UL;

    public static HmmPte PfnPte(ulong pfn, bool write = false) => HmmPte.FromPfn(new Pfn(pfn), write);

    public static AddressRange Pages(ulong start, ulong count) => AddressRange.FromLength(start, count * PageBytes);

    public static List<HmmPtEntry> All(HmmPageTable pt, AddressRange range)
    {
        var list = new List<HmmPtEntry>();
        foreach (var e in pt.Entries(range)) list.Add(e);
        return list;
    }

    public static void AssertSound(HmmPageTable pt)
    {
        var violations = pt.CheckInvariants();
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }
}
