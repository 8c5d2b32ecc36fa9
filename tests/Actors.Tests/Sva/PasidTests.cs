using IommuSim.Actors.Sva;
using IommuSim.Hardware.Devices;
using IommuSim.Messages;
using IommuSim.Messages.Sva;
using IommuSim.TestKit;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Sva;

/// <summary>The global PASID space (iommu_alloc_global_pasid / iommu_free_global_pasid): lowest free first, in range, reused after free.</summary>
public sealed class PasidAllocatorTests
{
    [Fact]
    public void Allocates_the_lowest_free_pasid_in_the_range_and_reuses_freed_ones()
    {
        var a = new PasidAllocator();
        Assert.Equal(5u, a.Allocate(5, 7));
        Assert.Equal(6u, a.Allocate(5, 7));
        Assert.Equal(7u, a.Allocate(5, 7));
        Assert.Null(a.Allocate(5, 7));
        Assert.Equal(1u, a.Allocate(1, 7));
        Assert.True(a.Free(6));
        Assert.False(a.Free(6));
        Assert.Equal(6u, a.Allocate(5, 7));
        Assert.Equal(2u, a.Allocate(1, 7));
        Assert.Equal(5, a.Allocated);
        Assert.Null(a.Allocate(9, 8));
    }

    [Fact]
    public void Searches_across_words_up_to_the_top_of_the_pasid_space()
    {
        var a = new PasidAllocator();
        for (uint i = 0; i < 200; i++) Assert.Equal(i + 60, a.Allocate(60, 259));
        Assert.Null(a.Allocate(60, 259));
        Assert.Equal(PasidAllocator.Space - 1, a.Allocate(PasidAllocator.Space - 1, uint.MaxValue));
        Assert.Null(a.Allocate(PasidAllocator.Space - 1, uint.MaxValue));
        Assert.True(a.Free(130));
        Assert.Equal(130u, a.Allocate(60, 259));
        Assert.Equal(0u, a.Allocate(0, 259));
    }
}

/// <summary>PASIDs through binds: one per mm, allocated in [pasid-min, pasid-max] below the device's limit; ENOSPC and EOVERFLOW.</summary>
public abstract class SvaPasidTests(ITestOutputHelper output, bool deterministic) : DispatcherTestBase(output, deterministic)
{
    [Fact]
    public void Each_mm_gets_one_pasid_in_range_until_the_space_is_exhausted_and_a_gone_mm_frees_its_own()
    {
        using var m = new SvaMachine(Kit, new SvaMachineSpec { Sva = new SvaOptions { PasidMin = 5, PasidMax = 6 }, DevicesPerUnit = 2 });
        var mm2 = m.NewMm("mm2");
        var mm3 = m.NewMm("mm3");
        var first = m.Bind("dev0.0");
        Assert.Equal(new Pasid(5), first.Pasid);
        // The same mm keeps its PASID on another device.
        Assert.Equal(new Pasid(5), m.Bind("dev0.1").Pasid);
        Assert.Equal(new Pasid(6), m.Bind("dev0.0", mm2).Pasid);
        Assert.Equal(Errno.ENOSPC, m.Bind("dev0.0", mm3).Errno);
        Assert.False(m.MmState(mm3).Pasid.IsValid);
        Assert.Equal(2, m.Stats().Pasids);

        // The first mm goes away (exit, then its last bond): PASID 5 is free for mm3.
        var bonds = new[] { first.BondId, m.Bind("dev0.1").BondId };
        Assert.Equal(Errno.None, m.Exit());
        Assert.Equal(Errno.None, m.Unbind(bonds[0]));
        Assert.Equal(Errno.None, m.Unbind(bonds[1]));
        Assert.Equal(Errno.None, m.Unbind(bonds[1]));
        AwaitAssert(() => Assert.Equal(1, m.Stats().Pasids));
        var third = m.Bind("dev0.0", mm3);
        Assert.Equal(new Pasid(5), third.Pasid);
        Assert.Equal(mm3, m.Call<SvaMmFound>(m.Sva, new SvaFindMm(new Pasid(5))).Mm);
    }

    [Fact]
    public void A_pasid_at_or_above_the_devices_limit_is_eoverflow_and_a_device_with_no_room_is_enospc()
    {
        // dev0.1 has 2 PASID bits: PASIDs 0..3. With pasid-min 4 no PASID fits it.
        using var m = new SvaMachine(Kit, new SvaMachineSpec
        {
            DevicesPerUnit = 2,
            Sva = new SvaOptions { PasidMin = 4 },
            Device = (name, o) => name == "dev0.1" ? o with { PasidBits = 2 } : o,
        });
        Assert.Equal(Errno.ENOSPC, m.Bind("dev0.1").Errno);
        Assert.Equal(0, m.Stats().Pasids);
        var wide = m.Bind("dev0.0");
        Assert.Equal(new Pasid(4), wide.Pasid);
        Assert.Equal(Errno.EOVERFLOW, m.Bind("dev0.1").Errno);
        var stats = m.Stats();
        Assert.Equal((1, 1, 1), (stats.Pasids, stats.Bonds, stats.Domains));
        Assert.Equal(Errno.None, m.Unbind(wide.BondId));
        Assert.Equal(Errno.None, m.Exit());
        AwaitAssert(() => Assert.Equal(0, m.Stats().Pasids));
        m.AssertTornDown();
    }

    [Fact]
    public void A_device_without_pasid_support_gets_none()
    {
        using var m = new SvaMachine(Kit, new SvaMachineSpec { Device = (_, o) => o with { PasidBits = 0 } });
        Assert.Equal(Errno.ENOSPC, m.Bind("dev0.0").Errno);
        Assert.Equal(0, m.Stats().Pasids);
    }
}

public sealed class SvaPasidThreadPoolTests(ITestOutputHelper output) : SvaPasidTests(output, deterministic: false);

public sealed class SvaPasidDeterministicTests(ITestOutputHelper output) : SvaPasidTests(output, deterministic: true);
