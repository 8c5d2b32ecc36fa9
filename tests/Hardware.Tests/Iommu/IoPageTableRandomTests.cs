using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using Xunit;
using static IommuSim.Hardware.Tests.Iommu.Sizes;

namespace IommuSim.Hardware.Tests.Iommu;

/// <summary>
/// Random map / unmap / write / read-dirty sequences against a plain model: a dictionary of leaves
/// keyed by IOVA, with its own greedy page-size split and leaf-by-leaf unmap. After every step the
/// table's answers must equal the model's, and every 20 steps its leaves, byte counts, table pages
/// and dirty bits too.
/// </summary>
public class IoPageTableRandomTests
{
    private sealed record Leaf(ulong Size, ulong Phys, IoProt Prot)
    {
        public bool Dirty { get; set; }
    }

    private sealed class Model(bool freeEmpty)
    {
        public readonly SortedDictionary<ulong, Leaf> Leaves = [];
        private readonly HashSet<(int Level, ulong Prefix)> _keptDirectories = [];

        public Leaf? Find(ulong va, out ulong leafBase)
        {
            foreach (var size in new[] { K4, M2, G1 })
            {
                leafBase = va & ~(size - 1);
                if (Leaves.TryGetValue(leafBase, out var leaf) && leaf.Size == size)
                    return leaf;
            }
            leafBase = 0;
            return null;
        }

        public Errno Map(ulong va, ulong pa, ulong size, IoProt prot)
        {
            var chunks = new List<(ulong Va, ulong Pa, ulong Size)>();
            for (ulong done = 0; done < size;)
            {
                var chunk = new[] { G1, M2, K4 }.First(s => (va + done) % s == 0 && (pa + done) % s == 0 && s <= size - done);
                chunks.Add((va + done, pa + done, chunk));
                done += chunk;
            }
            if (chunks.Any(c => Overlaps(c.Va, c.Size)))
                return Errno.EEXIST;
            foreach (var (cva, cpa, csize) in chunks)
            {
                Leaves[cva] = new Leaf(csize, cpa, prot);
                // A block replaces any kept empty directory below its slot.
                if (csize == K4) continue;
                var level = LeafLevel(csize);
                _keptDirectories.RemoveWhere(d => d.Level > level && (d.Prefix << DirectoryShift(d.Level)) >= cva
                    && (d.Prefix << DirectoryShift(d.Level)) < cva + csize);
            }
            return Errno.None;
        }

        /// <summary>Whether a leaf covers va or starts inside [va, va + size): probes for small chunks, a scan for 1G.</summary>
        private bool Overlaps(ulong va, ulong size)
        {
            if (Find(va, out _) is not null)
                return true;
            if (size == G1)
                return Leaves.Keys.Any(k => k >= va && k < va + size);
            for (var p = va; p < va + size; p += K4)
                if (Leaves.ContainsKey(p))
                    return true;
            return false;
        }

        public ulong Unmap(ulong va, ulong size)
        {
            ulong unmapped = 0;
            while (unmapped < size)
            {
                var leaf = Find(va, out var leafBase);
                if (leaf is null) break;
                Leaves.Remove(leafBase);
                if (!freeEmpty)
                    foreach (var d in Directories(leafBase, leaf.Size))
                        _keptDirectories.Add(d);
                unmapped += leaf.Size;
                va = leafBase + leaf.Size;
            }
            return unmapped;
        }

        /// <summary>Directory pages a 4-level table needs: those on the path of every leaf, plus kept ones.</summary>
        public long TablePages()
        {
            var pages = new HashSet<(int, ulong)>(_keptDirectories);
            foreach (var (va, leaf) in Leaves)
                foreach (var d in Directories(va, leaf.Size))
                    pages.Add(d);
            return 1 + pages.Count;
        }

        private static int LeafLevel(ulong size) => size == K4 ? 3 : size == M2 ? 2 : 1;

        /// <summary>A directory at level k (1..3) covers 2^(39 - 9(k-1)) bytes.</summary>
        private static int DirectoryShift(int level) => 39 - 9 * (level - 1);

        private static IEnumerable<(int, ulong)> Directories(ulong va, ulong size)
        {
            for (var level = 1; level <= LeafLevel(size); level++)
                yield return (level, va >> DirectoryShift(level));
        }
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    [InlineData(4, false)]
    public void Table_matches_the_model_through_random_operations(int seed, bool freeEmpty)
    {
        var random = new Random(seed);
        var table = new IoPageTable(freeEmptyDirectories: freeEmpty);
        Assert.Equal(Errno.None, table.SetDirtyTracking(true));
        var model = new Model(freeEmpty);
        const ulong space = 8 * G1;

        ulong RandomAddress(ulong limit)
        {
            var align = random.Next(10) switch { < 6 => K4, < 9 => M2, _ => G1 };
            return (ulong)random.NextInt64((long)(limit / align)) * align;
        }

        for (var step = 0; step < 1000; step++)
        {
            var op = random.Next(10);
            if (op < 4)
            {
                var va = RandomAddress(space);
                var size = random.Next(4) switch
                {
                    0 => (ulong)random.Next(1, 8) * K4,
                    1 => (ulong)random.Next(1, 100) * K4,
                    2 => (ulong)random.Next(1, 4) * M2 + (ulong)random.Next(0, 3) * K4,
                    _ => G1 + (ulong)random.Next(0, 2) * M2,
                };
                // Physical memory is aligned like the IOVA most of the time, so both splits occur;
                // ranges of a gigabyte or more stay aligned to keep the leaf count small.
                var pa = size >= G1 || random.Next(3) > 0 ? va + 16 * G1 : va + 16 * G1 + K4;
                if (va + size > space) continue;
                var prot = (IoProt)random.Next(1, 4);
                Assert.Equal(model.Map(va, pa, size, prot), table.Map(Iova(va), Phys(pa), size, prot));
            }
            else if (op < 7)
            {
                var va = RandomAddress(space);
                var size = random.Next(3) switch
                {
                    0 => K4,
                    1 => (ulong)random.Next(1, 1024) * K4,
                    _ => (ulong)random.Next(1, 64) * M2,
                };
                Assert.Equal(model.Unmap(va, size), table.Unmap(Iova(va), size));
            }
            else if (op < 9)
            {
                var va = RandomAddress(space) + (ulong)random.Next(0, 4096);
                var leaf = model.Find(va, out var leafBase);
                var walk = table.Walk(Iova(va), IoProt.Write);
                if (leaf is null)
                {
                    Assert.Equal(IoWalkStatus.NotPresent, walk.Status);
                }
                else
                {
                    Assert.Equal(new PhysAddr(leaf.Phys + (va - leafBase)), walk.Phys);
                    Assert.Equal(leaf.Size, walk.PageSize.Bytes);
                    var writable = (leaf.Prot & IoProt.Write) != 0;
                    Assert.Equal(writable ? IoWalkStatus.Ok : IoWalkStatus.PermissionFault, walk.Status);
                    if (writable) leaf.Dirty = true;
                }
            }
            else
            {
                var va = RandomAddress(space);
                var length = (ulong)random.Next(1, 2048) * K4;
                var bitmap = new IovaBitmap(Iova(va), length, PageSize.Size4K);
                Assert.Equal(Errno.None, table.ReadAndClearDirty(Iova(va), length, bitmap));
                var expected = new SortedSet<long>();
                foreach (var (lva, leaf) in model.Leaves)
                {
                    if (!leaf.Dirty || lva >= va + length || lva + leaf.Size <= va) continue;
                    leaf.Dirty = false;
                    for (var p = Math.Max(lva, va); p < Math.Min(lva + leaf.Size, va + length); p += K4)
                        expected.Add((long)((p - va) / K4));
                }
                Assert.Equal(expected, bitmap.SetBits());
            }

            if (step % 20 != 19)
                continue;
            var leaves = table.EnumerateLeaves(Iova(0), space)
                .Select(l => (l.Iova.Value, l.Size.Bytes, l.Phys.Value, l.Prot, l.Dirty)).ToList();
            var expectedLeaves = model.Leaves.Select(kv => (kv.Key, kv.Value.Size, kv.Value.Phys, kv.Value.Prot, kv.Value.Dirty)).ToList();
            Assert.Equal(expectedLeaves, leaves);
            Assert.Equal((ulong)model.Leaves.Values.Sum(l => (decimal)l.Size), table.MappedBytes);
            Assert.Equal(model.TablePages(), table.TablePages);
            Assert.Equal(table.DirectoriesAllocated - table.DirectoriesFreed + 1, table.TablePages);
        }
    }
}
