using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using Xunit;
using static IommuSim.Hardware.Tests.Iommu.Sizes;

namespace IommuSim.Hardware.Tests.Iommu;

/// <summary>
/// The indexed caches (hash + LRU list for one set, present-size probing for many) against the
/// plain scanned cache they replace, written here as the model: every lookup, probe, fill and
/// invalidation answers the same, the counters agree, and the entries sit in the same slots.
/// </summary>
public sealed class TranslationCacheModelTests
{
    public static TheoryData<int, int, int> Geometries() => new()
    {
        // entries, ways (entries == ways: fully associative), seed
        { 32, 32, 1 },
        { 32, 32, 2 },
        { 5, 5, 3 },
        { 100, 100, 4 }, // more than 64 slots: the valid bitmap spans two words
        { 1, 1, 5 },
        { 16, 4, 6 },
        { 8, 2, 7 },
        { 8, 1, 8 },
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Random_operations_behave_as_the_scanned_cache(int entries, int ways, int seed)
    {
        var cache = entries == ways ? (TranslationCache)new MicroTlb(entries) : new Iotlb(entries, ways);
        var model = new ScannedCache(entries, ways);
        var random = new Random(seed);
        var sizes = new[] { PageSize.Size4K, PageSize.Size4K, PageSize.Size4K, PageSize.Size2M, PageSize.Size1G };
        // A small address space (4 GiB, few domains and PASIDs) so that tags repeat and sizes overlap.
        ulong RandomIova() => (ulong)random.NextInt64(0, 1L << 32) & ~0xFFFUL;
        uint RandomDomain() => (uint)random.Next(1, 3);
        Pasid RandomPasid() => random.Next(3) == 0 ? Pasid.Invalid : new Pasid((uint)random.Next(1, 3));

        for (var step = 0; step < 20_000; step++)
        {
            var op = random.Next(100);
            if (op < 35)
            {
                var (d, p, va) = (RandomDomain(), RandomPasid(), RandomIova() + (ulong)random.Next(4096));
                Assert.Equal(model.Lookup(d, p.Value, va), Hit(cache.Lookup(d, p, Iova(va), out var hit), hit));
            }
            else if (op < 45)
            {
                var (d, p, va) = (RandomDomain(), RandomPasid(), RandomIova());
                Assert.Equal(model.Probe(d, p.Value, va), Hit(cache.Probe(d, p, Iova(va), out var hit), hit));
            }
            else if (op < 90)
            {
                var (d, p, va) = (RandomDomain(), RandomPasid(), RandomIova());
                var size = sizes[random.Next(sizes.Length)];
                var pageBase = ((ulong)random.Next(1, 1 << 20) << 30) & size.Mask;
                var prot = (IoProt)random.Next(1, 4);
                var dirty = random.Next(2) == 0;
                model.Fill(d, p.Value, va, size.Shift, pageBase, prot, dirty);
                cache.Fill(d, p, Iova(va), size, Phys(pageBase), prot, dirty);
            }
            else if (op < 96)
            {
                var (d, va) = (RandomDomain(), RandomIova());
                var pasid = random.Next(2) == 0 ? (Pasid?)null : RandomPasid();
                var length = random.Next(3) switch { 0 => K4, 1 => (ulong)random.Next(1, 64) * K4, _ => (ulong)random.Next(1, 3) * G1 };
                Assert.Equal(model.InvalidateRange(d, pasid?.Value, va, length), cache.InvalidateRange(d, pasid, Iova(va), length, leafOnly: true));
            }
            else if (op < 98)
            {
                var (d, p) = (RandomDomain(), RandomPasid());
                Assert.Equal(model.InvalidatePasid(p.Value, d), cache.InvalidatePasid(p, d));
            }
            else if (op < 99)
            {
                var d = RandomDomain();
                Assert.Equal(model.InvalidateDomain(d), cache.InvalidateDomain(d));
            }
            else
            {
                Assert.Equal(model.ValidEntries, cache.InvalidateAll());
                model.InvalidateAll();
            }

            Assert.Equal((model.Hits, model.Misses, model.Fills, model.Evictions, model.ValidEntries),
                (cache.Hits, cache.Misses, cache.Fills, cache.Evictions, cache.ValidEntries));
            if (step % 97 == 0)
                Assert.Equal(model.Entries(), cache.EnumerateEntries());
        }
        Assert.Equal(model.Entries(), cache.EnumerateEntries());
    }

    private static (bool, IotlbHit) Hit(bool found, IotlbHit hit) => (found, hit);

    /// <summary>
    /// The reference: every lookup scans the whole set (each entry at its own size in a single set;
    /// each size's set in turn, smallest first, otherwise), a fill reuses the same tag, else the
    /// first invalid slot, else evicts the smallest stamp, and stamps advance on every hit and fill.
    /// </summary>
    private sealed class ScannedCache(int entries, int ways)
    {
        private static readonly int[] Shifts = [12, 21, 30];

        private readonly Slot[] _slots = new Slot[entries];
        private readonly int _sets = entries / ways;
        private ulong _clock;

        public long Hits { get; private set; }
        public long Misses { get; private set; }
        public long Fills { get; private set; }
        public long Evictions { get; private set; }
        public int ValidEntries => _slots.Count(s => s.Shift != 0);

        public (bool, IotlbHit) Lookup(uint domain, uint pasid, ulong va)
        {
            var i = Find(domain, pasid, va);
            if (i < 0)
            {
                Misses++;
                return (false, default);
            }
            Hits++;
            _slots[i] = _slots[i] with { Stamp = ++_clock };
            return (true, HitOf(_slots[i], va));
        }

        public (bool, IotlbHit) Probe(uint domain, uint pasid, ulong va)
        {
            var i = Find(domain, pasid, va);
            return i < 0 ? (false, default) : (true, HitOf(_slots[i], va));
        }

        public void Fill(uint domain, uint pasid, ulong va, int shift, ulong pageBase, IoProt prot, bool dirty)
        {
            var vpn = va >> shift;
            var first = _sets == 1 ? 0 : (int)(vpn & (ulong)(_sets - 1)) * ways;
            var set = Enumerable.Range(first, ways).ToList();
            var victim = set.FirstOrDefault(i => _slots[i].Matches(domain, pasid, vpn, shift), -1);
            if (victim < 0)
            {
                victim = set.FirstOrDefault(i => _slots[i].Shift == 0, -1);
                if (victim < 0)
                {
                    victim = set.MinBy(i => _slots[i].Stamp);
                    Evictions++;
                }
            }
            _slots[victim] = new Slot(domain, pasid, vpn, shift, pageBase, prot, dirty, ++_clock);
            Fills++;
        }

        public int InvalidateRange(uint domain, uint? pasid, ulong start, ulong length)
        {
            var last = start + (length - 1);
            return Drop(s => s.Domain == domain && (pasid is null || s.Pasid == pasid) &&
                s.Vpn << s.Shift <= last && (s.Vpn << s.Shift) + ((1UL << s.Shift) - 1) >= start);
        }

        public int InvalidatePasid(uint pasid, uint domain) => Drop(s => s.Pasid == pasid && s.Domain == domain);

        public int InvalidateDomain(uint domain) => Drop(s => s.Domain == domain);

        public void InvalidateAll() => Drop(_ => true);

        public List<IotlbEntryInfo> Entries() =>
        [
            .. _slots.Where(s => s.Shift != 0).Select(s => new IotlbEntryInfo(s.Domain, new Pasid(s.Pasid), Iova(s.Vpn << s.Shift),
                new PageSize(s.Shift), Phys(s.PageBase), s.Prot, s.Dirty)),
        ];

        private int Drop(Func<Slot, bool> which)
        {
            var dropped = 0;
            for (var i = 0; i < _slots.Length; i++)
            {
                if (_slots[i].Shift != 0 && which(_slots[i]))
                {
                    _slots[i] = default;
                    dropped++;
                }
            }
            return dropped;
        }

        private int Find(uint domain, uint pasid, ulong va)
        {
            if (_sets == 1)
                return Array.FindIndex(_slots, s => s.Shift != 0 && s.Matches(domain, pasid, va >> s.Shift, s.Shift));
            foreach (var shift in Shifts)
            {
                var vpn = va >> shift;
                var first = (int)(vpn & (ulong)(_sets - 1)) * ways;
                for (var i = first; i < first + ways; i++)
                    if (_slots[i].Matches(domain, pasid, vpn, shift))
                        return i;
            }
            return -1;
        }

        private static IotlbHit HitOf(Slot s, ulong va) =>
            new(Phys(s.PageBase | (va & ((1UL << s.Shift) - 1))), Phys(s.PageBase), new PageSize(s.Shift), s.Prot, s.Dirty);

        private readonly record struct Slot(uint Domain, uint Pasid, ulong Vpn, int Shift, ulong PageBase, IoProt Prot, bool Dirty, ulong Stamp)
        {
            public bool Matches(uint domain, uint pasid, ulong vpn, int shift) =>
                Shift == shift && Vpn == vpn && Domain == domain && Pasid == pasid;
        }
    }
}
