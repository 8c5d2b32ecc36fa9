using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using Xunit;

namespace IommuSim.Hardware.Tests.Memory;

public class PhysicalMemoryConcurrencyTests
{
    private const int Threads = 8;

    [Fact]
    public void ConcurrentGetPutOnSharedPagesEndsWhereItStarted()
    {
        var mem = new PhysicalMemory(1UL << 20);
        var pfns = new Pfn[16];
        mem.SystemRam.AllocPages(pfns);

        RunOnThreads(t =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                var p = pfns[(i + t) % pfns.Length];
                Assert.Equal(Errno.None, mem.GetPage(p));
                Assert.Equal(Errno.None, mem.PutPage(p));
            }
        });

        foreach (var p in pfns) Assert.Equal(1, mem.PageRefCount(p));
        var c = mem.Counters;
        Assert.Equal(16, c.Live);
        Assert.Equal(0, c.Freed);
        Assert.Equal(0, c.UseAfterFree);
    }

    [Fact]
    public void ConcurrentPinUnpinBalances()
    {
        var mem = new PhysicalMemory(1UL << 20);
        var pfns = new Pfn[4];
        mem.SystemRam.AllocPages(pfns);

        RunOnThreads(t =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                var p = pfns[(i * 7 + t) % pfns.Length];
                Assert.Equal(Errno.None, mem.PinPage(p));
                mem.SetPageDirty(p);
                Assert.Equal(Errno.None, mem.UnpinPage(p));
            }
        });

        var c = mem.Counters;
        Assert.Equal(Threads * 10_000L, c.PinsAcquired);
        Assert.Equal(c.PinsAcquired, c.PinsReleased);
        Assert.Equal(0, c.PinnedPages);
        foreach (var p in pfns)
        {
            Assert.Equal(1, mem.PageRefCount(p));
            Assert.Equal(0, mem.PagePinCount(p));
            Assert.True(mem.PageDirty(p));
        }
    }

    [Fact]
    public void ConcurrentAllocAndFreeKeepCountsConsistent()
    {
        var mem = new PhysicalMemory(64UL << 20);
        var gpu = mem.AddDevicePool("gpu0", 16UL << 20);

        RunOnThreads(t =>
        {
            var held = new List<Pfn>();
            for (var i = 0; i < 5_000; i++)
            {
                var pool = (i + t) % 3 == 0 ? gpu : mem.SystemRam;
                if (pool.AllocPage(out var p) == Errno.None)
                {
                    Assert.Equal(Errno.None, mem.WritePage(p, p.Value ^ (ulong)t));
                    held.Add(p);
                }
                if (held.Count > 32)
                {
                    var victim = held[0];
                    held.RemoveAt(0);
                    mem.ReadPage(victim, out var v);
                    Assert.Equal(victim.Value ^ (ulong)t, v);
                    Assert.Equal(Errno.None, mem.PutPage(victim));
                }
            }
            foreach (var p in held) Assert.Equal(Errno.None, mem.PutPage(p));
        });

        var c = mem.Counters;
        Assert.Equal(c.Allocated, c.Freed);
        Assert.Equal(0, c.Live);
        Assert.Equal(0, c.UseAfterFree);
        Assert.True(c.Peak <= Threads * 33L);
    }

    [Fact]
    public void RacingPutsFreeEachPageExactlyOnce()
    {
        var mem = new PhysicalMemory(1UL << 24);
        var pfns = new Pfn[512];
        mem.SystemRam.AllocPages(pfns);
        // Every thread holds one extra reference on every page, then they all put at once.
        foreach (var p in pfns)
            for (var t = 1; t < Threads; t++) mem.GetPage(p);

        RunOnThreads(_ =>
        {
            foreach (var p in pfns) Assert.Equal(Errno.None, mem.PutPage(p));
        });

        var c = mem.Counters;
        Assert.Equal(512, c.Freed);
        Assert.Equal(0, c.Live);
        Assert.Equal(0, c.UseAfterFree);
        // The free list holds each frame once: 512 new allocations get 512 distinct pfns.
        var again = new Pfn[512];
        Assert.Equal(512, mem.SystemRam.AllocPages(again));
        Assert.Equal(512, again.Distinct().Count());
    }

    private static void RunOnThreads(Action<int> body)
    {
        var errors = new List<Exception>();
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                body(t);
            }
            catch (Exception e)
            {
                lock (errors) errors.Add(e);
            }
        })).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());
        if (errors.Count > 0) throw new AggregateException(errors);
    }
}
