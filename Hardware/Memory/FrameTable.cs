using System.Runtime.CompilerServices;

namespace IommuSim.Hardware.Memory;

/// <summary>
/// Lazily materialised storage for the frames of one pool: a growable directory of groups, each
/// group an array of 1024 chunks, each chunk 256 <see cref="PageFrame"/>s (8 KiB). Nothing is
/// allocated for frames that were never allocated, so a 1 TiB machine (2^28 frames, 8 GiB of
/// records if eager) costs a few KiB until it is used. Lookup is two dependent array loads.
/// </summary>
/// <remarks>
/// Writers (<see cref="Materialize"/>) run under the owning pool's allocation lock; readers run
/// lock-free on any thread. Arrays are fully built (zeroed frames are valid free frames) before
/// they are published with <see cref="Volatile.Write{T}(ref T, T)"/>, and readers load them with
/// <see cref="Volatile.Read{T}(ref readonly T)"/>, so a reader either sees a complete array or
/// none (and then treats the frame as free).
/// </remarks>
internal sealed class FrameTable
{
    public const int ChunkShift = 8;
    public const int ChunkFrames = 1 << ChunkShift;
    public const int GroupShift = 10;
    public const int GroupChunks = 1 << GroupShift;
    private const int FramesPerGroupShift = ChunkShift + GroupShift;

    private PageFrame[]?[]?[] _groups = new PageFrame[]?[]?[1];
    private long _materializedChunks;

    /// <summary>Frames backed by storage (a multiple of <see cref="ChunkFrames"/>).</summary>
    public long MaterializedFrames => Volatile.Read(ref _materializedChunks) * ChunkFrames;

    /// <summary>Managed bytes held for frame records and the arrays indexing them.</summary>
    public long MaterializedBytes
    {
        get
        {
            var groups = Volatile.Read(ref _groups);
            long bytes = (long)groups.Length * IntPtr.Size;
            foreach (var g in groups)
                if (g is not null) bytes += (long)g.Length * IntPtr.Size;
            return bytes + MaterializedFrames * Unsafe.SizeOf<PageFrame>();
        }
    }

    /// <summary>The frame at <paramref name="index"/>, or a null ref if it was never materialised (so it is free).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref PageFrame Find(ulong index)
    {
        var groups = Volatile.Read(ref _groups);
        var gi = index >> FramesPerGroupShift;
        if (gi >= (ulong)groups.Length) return ref Unsafe.NullRef<PageFrame>();
        var group = Volatile.Read(ref groups[gi]);
        if (group is null) return ref Unsafe.NullRef<PageFrame>();
        var chunk = Volatile.Read(ref group[(int)(index >> ChunkShift) & (GroupChunks - 1)]);
        if (chunk is null) return ref Unsafe.NullRef<PageFrame>();
        return ref chunk[(int)index & (ChunkFrames - 1)];
    }

    /// <summary>The frame at <paramref name="index"/>, allocating its storage first. Caller holds the pool lock.</summary>
    public ref PageFrame Materialize(ulong index)
    {
        var groups = _groups;
        var gi = index >> FramesPerGroupShift;
        if (gi >= (ulong)groups.Length)
        {
            var grown = new PageFrame[]?[]?[Math.Max((long)gi + 1, groups.Length * 2L)];
            Array.Copy(groups, grown, groups.Length);
            Volatile.Write(ref _groups, grown);
            groups = grown;
        }
        var group = groups[gi];
        if (group is null)
        {
            group = new PageFrame[]?[GroupChunks];
            Volatile.Write(ref groups[gi], group);
        }
        var ci = (int)(index >> ChunkShift) & (GroupChunks - 1);
        var chunk = group[ci];
        if (chunk is null)
        {
            chunk = new PageFrame[ChunkFrames];
            Volatile.Write(ref group[ci], chunk);
            Volatile.Write(ref _materializedChunks, _materializedChunks + 1);
        }
        return ref chunk[(int)index & (ChunkFrames - 1)];
    }
}
