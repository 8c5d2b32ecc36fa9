namespace IommuSim.Runtime.Dispatch;

/// <summary>
/// An unbounded multi-producer, single-consumer FIFO: the queue of one mailbox, filled by any
/// thread and drained only by the thread that runs the actor. A chain of ring segments (Vyukov's
/// bounded queue with per-slot sequence numbers): producers reserve a slot with one CAS on the
/// segment's tail; the single consumer takes without atomics. A full segment is frozen (no
/// reservation can succeed in it any more) and a twice larger one is linked after it, so the
/// first segment is small (an actor that received one message costs ~200 bytes, not ~1 KB) and a
/// steady stream reuses its segment as a ring without allocating.
/// <para>
/// FIFO per producer holds because the tail segment only moves forward and the consumer leaves a
/// frozen segment only after every slot reserved in it has been taken. A slot that is reserved but
/// not yet written reads as empty: its producer then schedules the mailbox, so nothing is lost.
/// </para>
/// </summary>
public sealed class MpscQueue<T>
{
    private const int InitialCapacity = 4;
    private const int MaxCapacity = 1024;

    private Segment _head;   // consumer only
    private long _headIndex; // consumer only: the next slot to take in _head
    private Segment _tail;   // producers

    public MpscQueue()
    {
        _head = _tail = new Segment(InitialCapacity);
    }

    public void Enqueue(T item)
    {
        while (true)
        {
            var seg = Volatile.Read(ref _tail);
            if (seg.TryEnqueue(item)) return;
            seg.Freeze();
            var next = Volatile.Read(ref seg.Next);
            if (next == null)
            {
                var fresh = new Segment(Math.Min(seg.Capacity * 2, MaxCapacity));
                next = Interlocked.CompareExchange(ref seg.Next, fresh, null) ?? fresh;
            }
            Interlocked.CompareExchange(ref _tail, next, seg);
        }
    }

    /// <summary>Consumer only.</summary>
    public bool TryDequeue(out T item)
    {
        var seg = _head;
        while (true)
        {
            var head = _headIndex;
            ref var slot = ref seg.Slots[head & seg.Mask];
            if (Volatile.Read(ref slot.Sequence) == head + 1)
            {
                item = slot.Item;
                slot.Item = default!;
                Volatile.Write(ref slot.Sequence, head + seg.Capacity);
                _headIndex = head + 1;
                return true;
            }
            if (!seg.IsDrainedAt(head) || Volatile.Read(ref seg.Next) is not { } next)
            {
                item = default!;
                return false;
            }
            _head = seg = next;
            _headIndex = 0;
        }
    }

    /// <summary>Whether a published item is waiting. Exact on the consumer's thread; a hint elsewhere.</summary>
    public bool HasItems
    {
        get
        {
            var seg = Volatile.Read(ref _head);
            var head = Volatile.Read(ref _headIndex);
            while (true)
            {
                if (Volatile.Read(ref seg.Slots[head & seg.Mask].Sequence) == head + 1) return true;
                if (!seg.IsDrainedAt(head) || Volatile.Read(ref seg.Next) is not { } next) return false;
                seg = next;
                head = 0;
            }
        }
    }

    /// <summary>Items reserved and not yet taken (approximate while producers are active).</summary>
    public int Count
    {
        get
        {
            long count = 0;
            var seg = Volatile.Read(ref _head);
            var head = Volatile.Read(ref _headIndex);
            while (seg != null)
            {
                count += Math.Max(0, seg.Reserved - head);
                seg = Volatile.Read(ref seg.Next);
                head = 0;
            }
            return (int)Math.Min(count, int.MaxValue);
        }
    }

    private struct Slot
    {
        public T Item;
        public long Sequence;
    }

    private sealed class Segment
    {
        // Set in the tail when the segment is full: every later reservation attempt fails.
        private const long FrozenBit = 1L << 62;

        public readonly Slot[] Slots;
        public readonly long Mask;
        public readonly int Capacity;
        public Segment? Next;
        private long _tail;

        public Segment(int capacity)
        {
            Capacity = capacity;
            Mask = capacity - 1;
            Slots = new Slot[capacity];
            for (var i = 0; i < capacity; i++) Slots[i].Sequence = i;
        }

        /// <summary>Slots reserved so far (final once frozen).</summary>
        public long Reserved => Volatile.Read(ref _tail) & ~FrozenBit;

        /// <summary>Frozen, and the consumer has taken every slot reserved in it.</summary>
        public bool IsDrainedAt(long head)
        {
            var t = Volatile.Read(ref _tail);
            return (t & FrozenBit) != 0 && head >= (t & ~FrozenBit);
        }

        public bool TryEnqueue(T item)
        {
            while (true)
            {
                var t = Volatile.Read(ref _tail);
                if ((t & FrozenBit) != 0) return false;
                ref var slot = ref Slots[t & Mask];
                var diff = Volatile.Read(ref slot.Sequence) - t;
                if (diff == 0)
                {
                    if (Interlocked.CompareExchange(ref _tail, t + 1, t) != t) continue;
                    slot.Item = item;
                    Volatile.Write(ref slot.Sequence, t + 1);
                    return true;
                }
                if (diff < 0) return false; // the slot of the previous lap is not consumed yet: full
            }
        }

        public void Freeze() => Interlocked.Or(ref _tail, FrozenBit);
    }
}
