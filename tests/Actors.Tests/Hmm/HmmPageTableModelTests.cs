using IommuSim.Actors.Hmm;
using IommuSim.Messages;
using Xunit;
using static IommuSim.Actors.Tests.Hmm.HmmTestSupport;

namespace IommuSim.Actors.Tests.Hmm;

/// <summary>Random operation sequences checked against a dictionary of page → entry.</summary>
public class HmmPageTableModelTests
{
    // Clusters at both ends of a 48-bit space and around a 1 GiB and a 512 GiB boundary, so
    // operations cross leaf, level-2 and level-1 directory boundaries.
    private static readonly ulong[] Regions = [0, (1UL << 30) - (1UL << 20), (1UL << 39) - (2UL << 20), (1UL << 48) - (16UL << 20)];
    private const ulong RegionPages = 2048;

    [Theory]
    [InlineData(HmmPtReclaimPolicy.Eager, 1)]
    [InlineData(HmmPtReclaimPolicy.Eager, 2)]
    [InlineData(HmmPtReclaimPolicy.Eager, 3)]
    [InlineData(HmmPtReclaimPolicy.OnMunmap, 1)]
    [InlineData(HmmPtReclaimPolicy.OnMunmap, 2)]
    [InlineData(HmmPtReclaimPolicy.OnMunmap, 3)]
    public void RandomOperationsMatchTheModel(HmmPtReclaimPolicy policy, int seed)
    {
        var rng = new Random(seed);
        var pt = new HmmPageTable(Last48, policy);
        var model = new Dictionary<ulong, HmmPte>();
        var walkers = new List<HmmPtWalker>();

        for (var step = 0; step < 3000; step++)
        {
            var addr = RandomPage(rng);
            switch (rng.Next(100))
            {
                case < 45:
                {
                    var pte = rng.Next(4) == 0
                        ? HmmPte.FromDmaAddr(new DmaAddr((ulong)rng.Next(1 << 20) << 12), rng.Next(2) == 0)
                        : PfnPte((ulong)rng.Next(1 << 20), rng.Next(2) == 0);
                    Assert.Equal(Errno.None, pt.Set(addr, pte));
                    model[addr] = pte;
                    break;
                }
                case < 55:
                    pt.Set(addr, HmmPte.Empty);
                    model.Remove(addr);
                    break;
                case < 70:
                {
                    var range = Pages(addr, (ulong)rng.Next(1, 1500));
                    var expected = model.Keys.Count(range.Contains);
                    Assert.Equal(expected, pt.Clear(range));
                    foreach (var k in model.Keys.Where(range.Contains).ToList()) model.Remove(k);
                    break;
                }
                case < 78:
                {
                    var range = Pages(addr, (ulong)rng.Next(1, 1500));
                    var changed = pt.Update(range, p => p.IsDirty ? HmmPte.Empty : p.WithWrite(false).WithDirty(p.IsWrite));
                    var expected = 0;
                    foreach (var k in model.Keys.Where(range.Contains).ToList())
                    {
                        var p = model[k];
                        var n = p.IsDirty ? HmmPte.Empty : p.WithWrite(false).WithDirty(p.IsWrite);
                        if (n == p) continue;
                        expected++;
                        if (n.IsValid) model[k] = n;
                        else model.Remove(k);
                    }
                    Assert.Equal(expected, changed);
                    break;
                }
                case < 84:
                    pt.Reclaim(Pages(addr, (ulong)rng.Next(1, 3000)));
                    break;
                case < 90:
                    Assert.Equal(Errno.None, pt.Populate(Pages(addr, (ulong)rng.Next(1, 800))));
                    break;
                case < 95:
                    var w = pt.BeginWalk();
                    w.Lookup(addr);
                    walkers.Add(w);
                    break;
                default:
                    if (walkers.Count > 0)
                    {
                        var i = rng.Next(walkers.Count);
                        pt.EndWalk(walkers[i]);
                        walkers.RemoveAt(i);
                    }
                    break;
            }

            Assert.Equal(model.TryGetValue(addr, out var m) ? m : HmmPte.Empty, pt.Get(addr));
            if (step % 100 == 0) AssertMatches(pt, model);
        }

        AssertMatches(pt, model);
        foreach (var w in walkers) pt.EndWalk(w);
        pt.Clear(new AddressRange(0, ulong.MaxValue));
        pt.Reclaim(new AddressRange(0, ulong.MaxValue));
        var c = pt.Counters;
        Assert.Equal(0, c.DirectoriesLive);
        Assert.Equal(c.DirectoriesAllocated, c.DirectoriesFreed);
        AssertSound(pt);
    }

    private static ulong RandomPage(Random rng) =>
        Regions[rng.Next(Regions.Length)] + (ulong)rng.Next((int)RegionPages) * PageBytes;

    private static void AssertMatches(HmmPageTable pt, Dictionary<ulong, HmmPte> model)
    {
        AssertSound(pt);
        var expected = model.OrderBy(kv => kv.Key).Select(kv => new HmmPtEntry(kv.Key, kv.Value)).ToList();
        Assert.Equal(expected, All(pt, new AddressRange(0, ulong.MaxValue)));
        Assert.Equal(model.Count, pt.Counters.ValidEntries);
    }
}
