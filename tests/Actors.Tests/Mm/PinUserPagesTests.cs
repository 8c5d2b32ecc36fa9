using IommuSim.Messages;
using IommuSim.Messages.Mm;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Mm;

/// <summary>pin_user_pages on the mm (the pages the VFIO sPAPR container puts in TCEs).</summary>
public abstract class PinUserPagesTests(ITestOutputHelper output, bool deterministic) : HmmKit(output, deterministic)
{
    private PinUserPagesReply Pin(ulong addr, ulong pages, bool write) =>
        Call<PinUserPagesReply>(Mm, new PinUserPages(AddressRange.FromLength(addr, pages * Page), write));

    [Fact]
    public void Pins_fault_the_pages_in_and_hold_one_pin_and_one_reference_each()
    {
        var buffer = Mmap(4);
        CpuFill(buffer, 2, i => 0x100 + i);
        var reply = Pin(buffer, 4, write: true);
        Assert.Equal((Errno.None, 4), (reply.Errno, reply.Pages.Count));
        Assert.Equal(4L, Stats().ResidentPages);
        foreach (var pfn in reply.Pages)
        {
            Assert.Equal(1, Memory.PagePinCount(pfn));
            Assert.Equal(2, Memory.PageRefCount(pfn));
        }
        Assert.Equal(0x101UL, Memory.ReadPage(reply.Pages[1], out var value) == Errno.None ? value : 0);
        foreach (var pfn in reply.Pages) Assert.Equal(Errno.None, Memory.UnpinPage(pfn));
        Assert.Equal(0, Memory.Counters.PinnedPages);
        AssertDmaSafe();
    }

    [Fact]
    public void A_write_pin_breaks_copy_on_write_so_the_device_and_the_process_share_the_page()
    {
        var buffer = Mmap(1);
        Assert.Equal(Errno.None, CpuWrite(buffer, 1));
        var child = Call<ForkReply>(Mm, new Fork("child")).Child!;
        var reply = Pin(buffer, 1, write: true);
        Assert.Equal(Errno.None, reply.Errno);
        Assert.Equal(Errno.None, Memory.WritePage(reply.Pages[0], 42));
        Assert.Equal(42UL, CpuRead(buffer));
        Assert.Equal(1UL, CpuRead(buffer, child));
        Assert.Equal(Errno.None, Memory.UnpinPage(reply.Pages[0]));
    }

    [Fact]
    public void Gup_stops_at_a_hole_with_the_pages_before_it_pinned_and_EFAULT()
    {
        var buffer = Mmap(4);
        Assert.Equal(Errno.None, Munmap(buffer + 2 * Page, 1));
        var reply = Pin(buffer, 4, write: false);
        Assert.Equal((Errno.EFAULT, 2), (reply.Errno, reply.Pages.Count));
        // Two pins of the zero page, which both read faults map.
        Assert.Equal((2L, 1L), (Memory.Counters.Pinned, Memory.Counters.PinnedPages));
        Assert.Equal(reply.Pages[0], reply.Pages[1]);
        foreach (var pfn in reply.Pages) Memory.UnpinPage(pfn);

        var none = Pin(buffer + 2 * Page, 2, write: false);
        Assert.Equal((Errno.EFAULT, 0), (none.Errno, none.Pages.Count));
    }

    [Fact]
    public void A_write_pin_of_read_only_memory_is_EFAULT_as_check_vma_flags_answers_and_pins_nothing()
    {
        var buffer = Mmap(2, Prot.Read);
        var reply = Pin(buffer, 2, write: true);
        Assert.Equal((Errno.EFAULT, 0), (reply.Errno, reply.Pages.Count));
        Assert.Equal(0, Memory.Counters.PinsAcquired);
        Assert.Equal(Errno.None, Pin(buffer, 2, write: false).Errno);
    }

    [Theory]
    [InlineData(0x10UL, 1UL)]
    [InlineData(0UL, 0UL)]
    public void A_misaligned_or_empty_range_is_EINVAL(ulong offset, ulong pages)
    {
        var buffer = Mmap(2);
        var reply = Call<PinUserPagesReply>(Mm, new PinUserPages(AddressRange.FromLength(buffer + offset, pages * Page), false));
        Assert.Equal((Errno.EINVAL, 0), (reply.Errno, reply.Pages.Count));
    }

    [Fact]
    public void A_pinned_page_survives_munmap_and_exit_and_goes_with_its_unpin()
    {
        var buffer = Mmap(1);
        Assert.Equal(Errno.None, CpuWrite(buffer, 5));
        var pfn = Pin(buffer, 1, write: true).Pages[0];
        Assert.Equal(Errno.None, Munmap(buffer, 1));
        Assert.Equal(Errno.None, Call<Done>(Mm, new Exit()).Errno);
        Assert.True(Memory.IsPageLive(pfn));
        Assert.Equal(Errno.None, Memory.UnpinPage(pfn));
        Assert.False(Memory.IsPageLive(pfn));
        AssertDmaSafe();
    }
}

public sealed class PinUserPagesTestsOnThreadPool(ITestOutputHelper output) : PinUserPagesTests(output, deterministic: false);

public sealed class PinUserPagesTestsDeterministic(ITestOutputHelper output) : PinUserPagesTests(output, deterministic: true);
