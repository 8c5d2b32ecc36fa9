using IommuSim.Actors.Hmm;
using Xunit;

namespace IommuSim.Actors.Tests.Hmm;

public class HmmPtGeometryTests
{
    public static TheoryData<ulong, int, int[], int, int> Cases => new()
    {
        // The review's correction of hmm_pt_init's example: last is inclusive.
        { (1UL << 48) - 1, 12, [39, 30, 21, 12], 3, 512 },
        // The example as written (last = 1 << 48) gives the extra level the review warns of.
        { 1UL << 48, 12, [48, 39, 30, 21, 12], 4, 2 },
        { (1UL << 47) - 1, 12, [39, 30, 21, 12], 3, 256 },
        { (1UL << 39) - 1, 12, [30, 21, 12], 2, 512 },
        { (1UL << 57) - 1, 12, [48, 39, 30, 21, 12], 4, 512 },
        { (1UL << 32) - 1, 12, [30, 21, 12], 2, 4 },
        { (1UL << 21) - 1, 12, [12], 0, 512 },
        { ulong.MaxValue, 12, [57, 48, 39, 30, 21, 12], 5, 128 },
        { 4095, 12, [12], 0, 1 },
        // last is masked with PAGE_MASK first.
        { (1UL << 48) - 100, 12, [39, 30, 21, 12], 3, 512 },
        // Seed 000's hmm_domain table: one entry per 2 MiB leaf directory of the HMM table.
        { (1UL << 48) - 1, HmmPtGeometry.DomainGranuleShift, [39, 30, 21], 2, 512 },
        { (1UL << 57) - 1, HmmPtGeometry.DomainGranuleShift, [48, 39, 30, 21], 3, 512 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ShiftsLevelsAndRootSizeFollowHmmPtInit(ulong last, int granuleShift, int[] shifts, int lastLevel, int rootEntries)
    {
        var g = new HmmPtGeometry(last, granuleShift);

        Assert.Equal(shifts, g.Shifts);
        Assert.Equal(lastLevel, g.LastLevel);
        Assert.Equal(shifts.Length, g.LevelCount);
        Assert.Equal(rootEntries, g.RootEntries);
        Assert.Equal(granuleShift, g.Shifts[g.LastLevel]);
    }

    [Fact]
    public void TableExposesTheSameGeometry()
    {
        var pt = new HmmPageTable((1UL << 48) - 1);

        Assert.Equal([39, 30, 21, 12], pt.Shifts);
        Assert.Equal(3, pt.LastLevel);
        Assert.Equal(512, pt.RootEntries);
        Assert.Equal((1UL << 48) - 4096, pt.Last);
    }

    [Fact]
    public void IndexIsTheAddressBitsOfEachLevel()
    {
        var g = new HmmPtGeometry((1UL << 48) - 1);
        const ulong addr = 0x7fff_ffff_f000UL;

        Assert.Equal(255, g.Index(addr, 0));
        Assert.Equal(511, g.Index(addr, 1));
        Assert.Equal(511, g.Index(addr, 2));
        Assert.Equal(511, g.Index(addr, 3));
        Assert.Equal(0, g.Index(0x1000, 0));
        Assert.Equal(1, g.Index(0x1000, 3));
        Assert.Equal(1, g.Index(1UL << 21, 2));
        Assert.Equal(~((1UL << 21) - 1), g.Mask(2));
    }

    [Fact]
    public void DomainEntrySpansOneLeafDirectoryOfTheHmmTable()
    {
        var hmm = new HmmPtGeometry((1UL << 48) - 1);
        var domain = new HmmPtGeometry((1UL << 48) - 1, HmmPtGeometry.DomainGranuleShift);

        // A leaf directory covers one entry of the level above it.
        var leafDirectorySpan = hmm.EntrySpan(hmm.LastLevel - 1);
        Assert.Equal(2UL << 20, leafDirectorySpan);
        Assert.Equal(leafDirectorySpan, domain.EntrySpan(domain.LastLevel));
        Assert.Equal(leafDirectorySpan, domain.GranuleSize);
    }

    [Fact]
    public void GranuleOutsideTheSupportedRangeIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HmmPtGeometry(ulong.MaxValue, 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HmmPtGeometry(ulong.MaxValue, 55));
    }
}
