using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Mm;
using IommuSim.Runtime;

namespace IommuSim.Actors.Hmm;

// hmm_update's domain part: WRITE_PROTECT downgrades (hmm_domain_update), MUNMAP, MIGRATE and
// RELEASE unmap (hmm_domain_unmap); the fence goes back only when the IOMMU domain has answered,
// that is after its IOTLB flush and sync.
public sealed partial class HmmDomainActor
{
    private readonly Queue<(AddressRange Range, long Sequence)> _invalidationLog = new();
    // Highest sequence dropped from the log: a read older than it may have missed an overlap.
    private long _forgottenSequence = long.MinValue;

    private void OnInvalidate(MmuInvalidate invalidate, IActorRef replyTo)
    {
        Remember(invalidate.Range, invalidate.Sequence);
        void Fence() => replyTo.Tell(new InvalidationFence(invalidate.Sequence), Self);

        if (_iommuGone || (invalidate.Event == InvalidationEvent.Munmap && _options.SkipUnmapOnMunmap))
        {
            Fence();
            return;
        }
        if (invalidate.Event == InvalidationEvent.WriteProtect)
        {
            var slices = SlicesOf(invalidate.Range);
            if (slices.Count == 0)
            {
                Fence();
                return;
            }
            Await<IommuDirectoriesProtected>(new IommuProtectDirectories([.. slices.Select(s => s.Slice)], IommuProt.Read), _ => Fence());
            return;
        }
        UnmapRange(invalidate.Range, Fence);
    }

    /// <summary>hmm_domain_unmap over a range: the pages of every mapped directory it overlaps, then <paramref name="done"/>.</summary>
    private void UnmapRange(AddressRange range, Action done)
    {
        var slices = SlicesOf(range);
        if (slices.Count == 0 || _iommuGone)
        {
            done();
            return;
        }
        Await<IommuDirectoriesUnmapped>(new IommuUnmapDirectories([.. slices.Select(s => s.Slice)]), unmapped =>
        {
            _unmapCalls++;
            if (unmapped is { Errno: Errno.None } reply)
            {
                for (var k = 0; k < slices.Count; k++)
                {
                    var directory = slices[k].Directory;
                    var result = reply.Results[k];
                    _refs[directory] -= result.Unmapped;
                    _mappedPages -= result.Unmapped;
                    if (!result.Released && !_options.FreeReferencedDirectories) continue;
                    if (!result.Released) _mappedPages -= _refs[directory]; // the injected bug forgets the pages still mapped
                    _refs.Remove(directory);
                    _table.Set(directory, HmmPte.Empty);
                }
            }
            else if (unmapped is null)
            {
                // The IOMMU domain is gone, and its mappings with it.
                foreach (var (directory, _) in slices)
                {
                    _mappedPages -= _refs.GetValueOrDefault(directory);
                    _refs.Remove(directory);
                    _table.Set(directory, HmmPte.Empty);
                }
            }
            done();
        });
    }

    /// <summary>The part of each mapped directory the range overlaps, with the directory's start.</summary>
    private List<(ulong Directory, DirectorySlice Slice)> SlicesOf(AddressRange range)
    {
        var slices = new List<(ulong, DirectorySlice)>();
        if (range.IsEmpty) return slices;
        foreach (var entry in _table.Entries(range))
        {
            if (entry.Pte.DmaAddr is not { } dma) continue;
            var start = Math.Max(range.Start, entry.Address);
            var end = Math.Min(range.End, entry.Address + DirectoryBytes);
            var first = (int)((start - entry.Address) >> PageSize.BaseShift);
            var pages = (int)(((end - entry.Address + PageSize.Size4K.Bytes - 1) >> PageSize.BaseShift) - (ulong)first);
            slices.Add((entry.Address, new DirectorySlice(dma.AsIova, first, pages)));
        }
        return slices;
    }

    private void Remember(AddressRange range, long sequence)
    {
        _invalidationLog.Enqueue((range, sequence));
        while (_invalidationLog.Count > Math.Max(1, _options.InvalidationLogSize))
        {
            var (_, dropped) = _invalidationLog.Dequeue();
            _forgottenSequence = Math.Max(_forgottenSequence, dropped);
        }
    }

    /// <summary>
    /// mmu_interval_read_retry for the domain: pages read under <paramref name="readSequence"/> are
    /// stale if an invalidation of an overlapping range with a later sequence was handled here
    /// (or may have been: one forgotten from the log). Null (unknown) is never stale.
    /// </summary>
    private bool IsStale(AddressRange pages, long? readSequence)
    {
        if (readSequence is not { } read) return false;
        if (read < _forgottenSequence) return true;
        foreach (var (range, sequence) in _invalidationLog)
            if (sequence > read && range.Overlaps(pages)) return true;
        return false;
    }
}
