using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

public sealed partial class IoPageTable
{
    /// <summary>
    /// iommu_map (drivers/iommu/iommu.c __iommu_map): maps [iova, iova + size) to
    /// [phys, phys + size), split by iommu_pgsize into the largest pages that fit the size and to
    /// which both addresses are aligned (so a 2 MiB-aligned pair of addresses and a 4 MiB size give
    /// two 2 MiB leaves; misaligned physical memory falls back to 4 KiB leaves).
    /// Errors, each changing nothing:
    /// EINVAL when iova, phys or size is not aligned to the smallest page (the kernel's "unaligned"
    /// check) or when prot grants neither read nor write (Intel's domain mapping refuses such a
    /// mapping with -EINVAL, where io-pgtable-arm returns success having mapped nothing; the model
    /// takes Intel's answer so that a call either maps the range or fails);
    /// ERANGE when the range does not fit the input or output address width (io-pgtable-arm's
    /// "iaext || paddr >> oas" check);
    /// EEXIST when any page of the range is already mapped, by a leaf of any size
    /// (arm_lpae_init_pte's "We require an unmap first").
    /// The kernel maps page by page and unmaps what it mapped when a later page fails; the model
    /// checks every page first so a failure leaves no trace at all, not even a directory page.
    /// A size of 0 maps nothing and succeeds, as __iommu_map's loop does.
    /// </summary>
    public Errno Map(Iova iova, PhysAddr phys, ulong size, IoProt prot)
    {
        var va = iova.Value;
        var pa = phys.Value;
        if ((prot & IoProt.ReadWrite) == 0)
            return Errno.EINVAL;
        if (((va | pa | size) & _minPageMask) != 0)
            return Errno.EINVAL;
        if (size == 0)
            return Errno.None;
        if (!InInputRange(va, size) || !InOutputRange(pa, size))
            return Errno.ERANGE;

        for (ulong done = 0; done < size;)
        {
            var pgsize = PageSizeBitmap.IommuPgsize(PageSizes, va + done, pa + done, size - done);
            if (Conflicts(va + done, pgsize.Shift))
                return Errno.EEXIST;
            done += pgsize.Bytes;
        }
        for (ulong done = 0; done < size;)
        {
            var pgsize = PageSizeBitmap.IommuPgsize(PageSizes, va + done, pa + done, size - done);
            Install(va + done, pa + done, pgsize.Shift, prot);
            done += pgsize.Bytes;
        }
        MappedBytes += size;
        return Errno.None;
    }

    /// <summary>
    /// Whether a leaf of 2^shift bytes at <paramref name="va"/> would overlap something mapped: a
    /// larger leaf on the way down, a leaf in the target slot, or a directory below it that still
    /// holds a leaf. An empty kept directory is no conflict: <see cref="Install"/> replaces it, as
    /// arm_lpae_init_pte frees an old table before writing a block entry over it.
    /// </summary>
    private bool Conflicts(ulong va, int shift)
    {
        var target = LeafLevelOf(shift);
        var page = _root;
        for (var level = 0; ; level++)
        {
            var slot = page.Slots[(int)(va >> _levelShift[level]) & (IoTablePage.Entries - 1)];
            if (level == target)
                return slot.Pte != 0 || slot.Next is { Leaves: > 0 };
            if (slot.Next is null)
                return slot.Pte != 0;
            page = slot.Next;
        }
    }

    /// <summary>Writes one leaf; the caller has ruled out conflicts, so every slot on the way is empty or a directory.</summary>
    private void Install(ulong va, ulong pa, int shift, IoProt prot)
    {
        var target = LeafLevelOf(shift);
        var page = _root;
        for (var level = 0; ; level++)
        {
            page.Leaves++;
            var index = (int)(va >> _levelShift[level]) & (IoTablePage.Entries - 1);
            ref var slot = ref page.Slots[index];
            if (level == target)
            {
                if (slot.Next is { } stale)
                {
                    // An empty directory kept from earlier mappings: free it before the block goes
                    // in. The slot stays in use, so this page's Used count does not change.
                    FreeSubtree(stale);
                    slot.Next = null;
                    page.Directories.Clear(index);
                }
                else
                {
                    IncrementUsed(page);
                }
                slot.Pte = IoPte.Make(pa, prot);
                page.Dirty.Clear(index); // a new leaf starts clean
                return;
            }
            if (slot.Next is null)
            {
                slot.Next = new IoTablePage();
                page.Directories.Set(index);
                IncrementUsed(page);
                TablePages++;
                DirectoriesAllocated++;
                EmptyDirectories++; // until the next step puts something in it
            }
            page = slot.Next;
        }
    }

    private void IncrementUsed(IoTablePage page)
    {
        if (page.Used++ == 0 && page != _root) EmptyDirectories--;
    }

    /// <summary>
    /// Frees a directory page and every directory below it, with the accounting. Leaves inside are
    /// dropped with it; callers either know there are none or clear the counts themselves.
    /// </summary>
    private void FreeSubtree(IoTablePage page)
    {
        foreach (var slot in page.Slots)
            if (slot.Next is { } child)
                FreeSubtree(child);
        if (page.Used == 0) EmptyDirectories--;
        TablePages--;
        DirectoriesFreed++;
    }
}
