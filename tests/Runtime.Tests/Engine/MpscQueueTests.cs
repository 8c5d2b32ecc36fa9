using IommuSim.Runtime.Dispatch;
using Xunit;

namespace IommuSim.Runtime.Tests.Engine;

public sealed class MpscQueueTests
{
    [Fact]
    public void A_single_producer_reads_back_in_order_across_segment_growth_and_reuse()
    {
        var q = new MpscQueue<int>();
        Assert.False(q.HasItems);
        Assert.False(q.TryDequeue(out _));
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 5000; i++) q.Enqueue(i);   // grows 4 → 8 → ... → 1024-slot segments
            Assert.True(q.HasItems);
            Assert.Equal(5000, q.Count);
            for (var i = 0; i < 5000; i++)
            {
                Assert.True(q.TryDequeue(out var v));
                Assert.Equal(i, v);
            }
            Assert.False(q.HasItems);
            Assert.Equal(0, q.Count);
        }
        for (var i = 0; i < 100_000; i++)   // a steady stream reuses one segment as a ring
        {
            q.Enqueue(i);
            Assert.True(q.TryDequeue(out var v));
            Assert.Equal(i, v);
        }
    }

    [Fact]
    public void Concurrent_producers_lose_nothing_and_keep_their_own_order()
    {
        const int producers = 4, perProducer = 200_000;
        var q = new MpscQueue<(int Producer, int Seq)>();
        var next = new int[producers];
        var received = 0;
        using var start = new Barrier(producers + 1);
        var threads = Enumerable.Range(0, producers).Select(p => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < perProducer; i++) q.Enqueue((p, i));
        })).ToList();
        threads.ForEach(t => t.Start());
        start.SignalAndWait();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (received < producers * perProducer && DateTime.UtcNow < deadline)
        {
            if (!q.TryDequeue(out var item)) continue;
            Assert.Equal(next[item.Producer], item.Seq);
            next[item.Producer]++;
            received++;
        }
        threads.ForEach(t => t.Join());
        Assert.Equal(producers * perProducer, received);
        Assert.All(next, n => Assert.Equal(perProducer, n));
        Assert.False(q.TryDequeue(out _));
    }
}
