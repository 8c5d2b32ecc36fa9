using IommuSim.Actors.Oracle;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Iommufd;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;
using Xunit;

namespace IommuSim.Actors.Tests.Iommufd;

/// <summary>
/// The two oracles on hand-made event sequences: each breach they exist to find is found, and the
/// legal orders the race produces are not breaches.
/// </summary>
public sealed class DirtyOracleTests : IDisposable
{
    private const ulong K4 = 4096;
    private readonly TestKit.TestKit _kit = new();
    private readonly IActorRef _domain;
    private readonly IActorRef _ioas;

    public DirtyOracleTests()
    {
        _domain = _kit.CreateTestProbe("domain").Ref;
        _ioas = _kit.CreateTestProbe("ioas").Ref;
    }

    public void Dispose() => _kit.Dispose();

    private static AddressRange Page(ulong index) => AddressRange.FromLength(index * K4, K4);

    private DeviceDma Write(ulong index) => new("gpu0", _domain, new Iova(index * K4 + 8), new Pfn(0x100 + index), 1, true, true, false);

    private DirtyTrackingOracle Tracking()
    {
        var oracle = new DirtyTrackingOracle();
        oracle.OnEvent(new DirtyTrackingChanged(_domain, true, false));
        oracle.OnEvent(new DirtyTrackingChanged(_domain, true, true));
        return oracle;
    }

    [Fact]
    public void A_write_with_its_bit_set_or_during_the_read_that_cleared_it_is_fine()
    {
        var oracle = Tracking();
        oracle.OnEvent(new IoPteDirtied(_domain, Page(3)));
        oracle.OnEvent(Write(3));
        oracle.OnEvent(new DirtyBitsRead(_domain, 1, 7, new AddressRange(0, 16 * K4), true, [Page(3)]));
        oracle.OnEvent(Write(3)); // through the translation cached dirty, before the sync
        oracle.OnEvent(new DirtyReadSynced(_domain, 1));
        oracle.OnEvent(new DirtyBitmapReported(_ioas, 7, new AddressRange(0, 16 * K4), K4, [Page(3)]));
        Assert.Empty(oracle.Violations);
        Assert.Equal((2L, 1L, 1L, 1L), (oracle.WritesChecked, oracle.WritesDuringReads, oracle.BitsSet, oracle.BitsCleared));
    }

    [Fact]
    public void A_write_after_the_sync_without_a_new_dirty_bit_is_lost()
    {
        var oracle = Tracking();
        oracle.OnEvent(new IoPteDirtied(_domain, Page(3)));
        oracle.OnEvent(new DirtyBitsRead(_domain, 1, 0, new AddressRange(0, 16 * K4), true, [Page(3)]));
        oracle.OnEvent(new DirtyReadSynced(_domain, 1));
        oracle.OnEvent(Write(3));
        var v = Assert.Single(oracle.Violations);
        Assert.Contains("the write is lost", v.Message);
        Assert.Equal(DirtyTrackingOracle.InvariantName, v.Invariant);
    }

    [Fact]
    public void Writes_before_tracking_synced_are_not_checked()
    {
        var oracle = new DirtyTrackingOracle();
        oracle.OnEvent(new DirtyTrackingChanged(_domain, true, false));
        oracle.OnEvent(Write(1));
        oracle.OnEvent(new DirtyTrackingChanged(_domain, true, true));
        oracle.OnEvent(new DirtyTrackingChanged(_domain, false, false));
        oracle.OnEvent(Write(2));
        Assert.Empty(oracle.Violations);
        Assert.Equal(0L, oracle.WritesChecked);
    }

    [Fact]
    public void A_bit_reported_twice_a_read_that_misses_a_dirty_leaf_and_a_bitmap_that_drops_one_are_breaches()
    {
        var oracle = Tracking();
        oracle.OnEvent(new IoPteDirtied(_domain, Page(1)));
        oracle.OnEvent(new IoPteDirtied(_domain, Page(2)));
        oracle.OnEvent(new DirtyBitsRead(_domain, 1, 5, new AddressRange(0, 16 * K4), true, [Page(1), Page(9)]));
        oracle.OnEvent(new DirtyBitmapReported(_ioas, 5, new AddressRange(0, 16 * K4), K4, [Page(9), Page(12)]));
        var messages = oracle.Violations.Select(v => v.Message).ToList();
        Assert.Equal(4, messages.Count);
        Assert.Contains("reported twice", messages[0]);
        Assert.Contains("missed dirty leaf", messages[1]);
        Assert.Contains("cleared without being reported", messages[2]);
        Assert.Contains("no leaf there was read dirty", messages[3]);
    }

    [Fact]
    public void A_bit_set_again_while_unreported_means_it_was_cleared_silently()
    {
        var oracle = Tracking();
        oracle.OnEvent(new IoPteDirtied(_domain, Page(4)));
        oracle.OnEvent(new IoPteDirtied(_domain, Page(4)));
        Assert.Contains("set again", Assert.Single(oracle.Violations).Message);
        // Unmapping the leaf forgets its bit: dirtying it after a new map is fine.
        oracle.OnEvent(new IovaUnmapped(_domain, Page(4), true));
        oracle.OnEvent(new IoPteDirtied(_domain, Page(4)));
        Assert.Single(oracle.Violations);
    }

    [Fact]
    public void The_pin_oracle_finds_an_unpin_before_the_domain_unmapped_short_pins_and_a_leak()
    {
        var memory = new PhysicalMemory(1UL << 20);
        Assert.Equal(Errno.None, memory.AllocPage(out var pfn));
        var oracle = new IoasPinOracle(memory);
        var area = IovaRange.FromLength(0x10_0000, K4);
        oracle.OnEvent(new IoasDomainAttached(_ioas, _domain));
        oracle.OnEvent(new IovaMapped(_domain, area.ToAddressRange(), pfn.ToPhys()));
        // Announced but not pinned.
        oracle.OnEvent(new IoasAreaMapped(_ioas, area, [pfn]));
        Assert.Contains("fewer pins", Assert.Single(oracle.Violations).Message);
        Assert.Equal(Errno.None, memory.PinPage(pfn));
        oracle.CheckQuiescent();
        Assert.Single(oracle.Violations);
        // Unpinned while the domain still maps it.
        Assert.Equal(Errno.None, memory.UnpinPage(pfn));
        oracle.OnEvent(new IoasAreaUnmapped(_ioas, area, [pfn]));
        Assert.Contains("still maps part of it", oracle.Violations[1].Message);
        // A pin nobody accounts for shows at teardown.
        Assert.Equal(Errno.None, memory.PinPage(pfn));
        oracle.CheckTeardown();
        Assert.Contains("at teardown", oracle.Violations[2].Message);
        Assert.All(oracle.Violations, v => Assert.Equal(IoasPinOracle.InvariantName, v.Invariant));
    }
}
