using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

public sealed partial class IoPageTable
{
    /// <summary>
    /// iommu_unmap (drivers/iommu/iommu.c __iommu_unmap): removes leaves from <paramref name="iova"/>
    /// on and returns the bytes unmapped, which may differ from <paramref name="size"/>:
    /// <list type="bullet">
    /// <item>0 when iova or size is not aligned to the smallest page (the "unaligned" check), when
    /// size is 0, or when nothing is mapped at iova.</item>
    /// <item>Touching any part of a huge leaf removes the whole leaf and counts its whole size
    /// (the "horrid API" the Intel driver copes with, and the AMD v1 driver's behaviour): unmapping
    /// 4 KiB inside a 2 MiB leaf returns 2 MiB.</item>
    /// <item>It stops at the first hole: __iommu_unmap breaks out of its loop as soon as the driver
    /// unmaps nothing, and the AMD v1 driver returns what it unmapped before a hole, so unmapping
    /// [0, 16K) with only [0, 8K) and [12K, 16K) mapped returns 8K and leaves [12K, 16K) mapped.
    /// (Intel's driver would clear the whole pgsize * count batch past holes; the model follows AMD v1.)</item>
    /// </list>
    /// After a leaf the walk resumes at the leaf's end (AMD v1's <c>iova = (iova &amp; ~(size - 1)) + size</c>);
    /// the core's <c>iova += unmapped_page</c> gives the same address whenever iova is leaf-aligned,
    /// which is the only case in which they could differ on anything but a misuse.
    /// Empty directory pages are freed on the way (when <see cref="FreeEmptyDirectories"/>). The
    /// IOTLB is not touched: the caller gathers the unmapped ranges and syncs (iommu_iotlb_sync).
    /// </summary>
    public ulong Unmap(Iova iova, ulong size)
    {
        var va = iova.Value;
        if (((va | size) & _minPageMask) != 0)
            return 0;
        ulong unmapped = 0;
        while (unmapped < size && va >> AddressBits == 0)
        {
            var leafBytes = RemoveLeaf(va, out var leafBase);
            if (leafBytes == 0)
                break;
            unmapped += leafBytes;
            va = leafBase + leafBytes;
        }
        MappedBytes -= unmapped;
        return unmapped;
    }

    /// <summary>
    /// Removes every leaf and frees every directory page, whatever <see cref="FreeEmptyDirectories"/>
    /// says (domain teardown, as free_io_pgtable_ops frees the whole tree). Returns the bytes that
    /// were mapped. The root page stays, so the table can be reused.
    /// </summary>
    public ulong UnmapAll()
    {
        var mapped = MappedBytes;
        for (var i = 0; i < IoTablePage.Entries; i++)
        {
            ref var slot = ref _root.Slots[i];
            if (slot.Next is { } child)
                FreeSubtree(child);
            slot = default;
        }
        _root.Used = 0;
        _root.Leaves = 0;
        _root.Dirty = default;
        _root.Directories = default;
        MappedBytes = 0;
        return mapped;
    }

    /// <summary>Removes the leaf that covers <paramref name="va"/>; returns its size, or 0 for a hole.</summary>
    private ulong RemoveLeaf(ulong va, out ulong leafBase)
    {
        var page = _root;
        for (var level = 0; ; level++)
        {
            var shift = _levelShift[level];
            var index = (int)(va >> shift) & (IoTablePage.Entries - 1);
            _pathPage[level] = page;
            _pathIndex[level] = index;
            ref var slot = ref page.Slots[index];
            if (slot.Next is { } next)
            {
                page = next;
                continue;
            }
            if (slot.Pte == 0)
            {
                leafBase = 0;
                return 0;
            }
            slot.Pte = 0;
            page.Dirty.Clear(index); // the dirty state goes with the leaf
            for (var l = 0; l <= level; l++)
                _pathPage[l].Leaves--;
            ReleaseSlot(level);
            var bytes = 1UL << shift;
            leafBase = va & ~(bytes - 1);
            return bytes;
        }
    }

    /// <summary>
    /// A slot of the page at <paramref name="level"/> on the recorded path has just become empty.
    /// Frees that page if it is now empty and the policy says so, and goes on upward, since
    /// freeing a page empties its parent's slot. The root is never freed.
    /// </summary>
    private void ReleaseSlot(int level)
    {
        for (; ; level--)
        {
            var page = _pathPage[level];
            if (--page.Used != 0 || level == 0)
                return;
            if (!FreeEmptyDirectories)
            {
                EmptyDirectories++;
                return;
            }
            var parent = _pathPage[level - 1];
            var index = _pathIndex[level - 1];
            parent.Slots[index].Next = null;
            parent.Directories.Clear(index);
            parent.Dirty.Clear(index); // nothing below any more
            TablePages--;
            DirectoriesFreed++;
        }
    }
}
