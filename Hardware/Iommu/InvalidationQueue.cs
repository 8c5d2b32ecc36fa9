using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

/// <summary>
/// An IOMMU invalidation queue (VT-d QI, SMMUv3 CMDQ, AMD command buffer) with a fixed depth.
/// Commands are only queued by <see cref="Submit"/>; none takes effect until a sync
/// (<see cref="Sync"/> or a submitted <see cref="InvalidationKind.Sync"/> command) completes them
/// in order on every attached translation cache. Until then a stale translation still hits: the
/// window in which DMA-after-unmap is possible if a caller acknowledges an invalidation before its
/// sync completes. Every attached cache receives every command (the IOTLB and the ATCs / device TLBs
/// behind this unit; the kernel issues the IOTLB and device-TLB invalidations together).
/// Owned by the IommuUnitActor; no locks.
/// </summary>
public sealed class InvalidationQueue
{
    public const int DefaultDepth = 256;

    private readonly InvalidationCommand[] _ring;
    private readonly List<TranslationCache> _caches;
    private int _head;
    private int _count;

    public InvalidationQueue(int depth = DefaultDepth, params TranslationCache[] caches)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        Depth = depth;
        _ring = new InvalidationCommand[depth];
        _caches = [.. caches];
    }

    public int Depth { get; }
    /// <summary>Commands queued and not yet completed by a sync.</summary>
    public int Pending => _count;
    public IReadOnlyList<TranslationCache> Caches => _caches;

    /// <summary>Invalidation commands submitted (syncs not included).</summary>
    public long Commands { get; private set; }
    /// <summary>Syncs completed, forced ones included.</summary>
    public long Syncs { get; private set; }
    /// <summary>Syncs forced because a submit found the queue full.</summary>
    public long ForcedSyncs { get; private set; }
    /// <summary>Pages covered by range commands (each range counted at its granule), the batching that gathers achieve.</summary>
    public long BatchedPages { get; private set; }
    /// <summary>Entries dropped from the attached caches by completed commands.</summary>
    public long InvalidatedEntries { get; private set; }

    /// <summary>Adds a cache (a device's ATC) that will receive the commands completed from now on.</summary>
    public void Attach(TranslationCache cache)
    {
        if (!_caches.Contains(cache))
            _caches.Add(cache);
    }

    public bool Detach(TranslationCache cache) => _caches.Remove(cache);

    /// <summary>
    /// Queues a command. A Sync command completes everything queued instead. If the queue is full,
    /// the submitter must first wait for the hardware to drain it: the queue syncs, then takes the
    /// command. Returns true when the queue was full (so a sync was forced), which the caller's
    /// cost model charges as a wait.
    /// </summary>
    public bool Submit(in InvalidationCommand command)
    {
        if (command.Kind == InvalidationKind.Sync)
        {
            Sync();
            return false;
        }
        var full = _count == Depth;
        if (full)
        {
            ForcedSyncs++;
            Sync();
        }
        _ring[(_head + _count) % Depth] = command;
        _count++;
        Commands++;
        BatchedPages += (long)command.Pages;
        return full;
    }

    /// <summary>Completes every queued command, in submission order, on every attached cache.</summary>
    public void Sync()
    {
        while (_count > 0)
        {
            Apply(in _ring[_head]);
            _ring[_head] = default;
            _head = (_head + 1) % Depth;
            _count--;
        }
        Syncs++;
    }

    /// <summary>The queued commands, oldest first (for traces).</summary>
    public IEnumerable<InvalidationCommand> PendingCommands()
    {
        for (var i = 0; i < _count; i++)
            yield return _ring[(_head + i) % Depth];
    }

    private void Apply(in InvalidationCommand command)
    {
        foreach (var cache in _caches)
        {
            InvalidatedEntries += command.Kind switch
            {
                InvalidationKind.Range => cache.InvalidateRange(command.DomainId.GetValueOrDefault(), command.Pasid, command.Start, command.Length, command.LeafOnly),
                InvalidationKind.Pasid => cache.InvalidatePasid(command.Pasid.GetValueOrDefault(Pasid.Invalid), command.DomainId),
                InvalidationKind.Domain => cache.InvalidateDomain(command.DomainId.GetValueOrDefault()),
                InvalidationKind.Global => cache.InvalidateAll(),
                _ => 0,
            };
        }
    }
}
