using System.Numerics;
using IommuSim.Messages;

namespace IommuSim.Hardware.Iommu;

/// <summary>
/// A dirty bitmap over an IOVA range, the model of struct iova_bitmap (drivers/iommu/iommufd/iova_bitmap.c)
/// that iommu_dirty_bitmap_record fills: bit i stands for the page
/// [Iova + i * PageSize, Iova + (i + 1) * PageSize), and bits are packed into 64-bit words with
/// bit i in word i / 64 at position i % 64, the layout of a kernel unsigned long bitmap that user
/// space receives from IOMMU_HWPT_GET_DIRTY_BITMAP.
/// Owned by whichever actor reads dirty bits into it; no locks.
/// </summary>
public sealed class IovaBitmap
{
    /// <param name="iova">First IOVA the bitmap covers; aligned to <paramref name="pageSize"/>.</param>
    /// <param name="length">Bytes of IOVA covered; the last bit may cover a partial page.</param>
    /// <param name="pageSize">Bytes each bit stands for (iommufd's page_size).</param>
    public IovaBitmap(Iova iova, ulong length, PageSize pageSize)
        : this(iova, length, pageSize, null)
    {
    }

    /// <summary>Wraps caller-owned words (e.g. a user buffer); it must hold at least <see cref="WordsFor"/> words.</summary>
    public IovaBitmap(Iova iova, ulong length, PageSize pageSize, ulong[]? words)
    {
        if (!pageSize.IsAligned(iova.Value))
            throw new ArgumentException($"bitmap IOVA {iova} is not aligned to its page size {pageSize}", nameof(iova));
        if (length == 0 || iova.Value + (length - 1) < iova.Value)
            throw new ArgumentOutOfRangeException(nameof(length), length, "bitmap length must be non-zero and must not wrap");
        Iova = iova;
        Length = length;
        PageSize = pageSize;
        BitCount = (long)((length - 1) >> pageSize.Shift) + 1;
        var needed = WordsFor(length, pageSize);
        if (words is not null && words.Length < needed)
            throw new ArgumentException($"bitmap needs {needed} words, got {words.Length}", nameof(words));
        Words = words ?? new ulong[needed];
    }

    public Iova Iova { get; }
    public ulong Length { get; }
    public PageSize PageSize { get; }
    public long BitCount { get; }
    public ulong[] Words { get; }

    /// <summary>Words needed for <paramref name="length"/> bytes at <paramref name="pageSize"/> granularity (dirty_bitmap_bytes / 8).</summary>
    public static int WordsFor(ulong length, PageSize pageSize) =>
        length == 0 ? 0 : checked((int)((((length - 1) >> pageSize.Shift) + 64) / 64));

    public bool IsSet(long bit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bit);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bit, BitCount);
        return (Words[bit >> 6] & (1UL << (int)(bit & 63))) != 0;
    }

    /// <summary>Whether the page holding <paramref name="iova"/> is marked.</summary>
    public bool IsDirty(Iova iova) =>
        iova.Value >= Iova.Value && iova.Value - Iova.Value < Length && IsSet((long)((iova.Value - Iova.Value) >> PageSize.Shift));

    /// <summary>
    /// iova_bitmap_set: marks every page that [iova, iova + length) touches, clamped to the
    /// bitmap's own range (a huge leaf that starts before the bitmap or ends after it marks only the
    /// pages the bitmap has).
    /// </summary>
    public void Set(Iova iova, ulong length)
    {
        if (length == 0) return;
        var start = Math.Max(iova.Value, Iova.Value);
        var endExclusive = iova.Value + length < iova.Value ? ulong.MaxValue : iova.Value + length;
        var mine = Iova.Value + Length;
        if (endExclusive > mine) endExclusive = mine;
        if (start >= endExclusive) return;
        var first = (long)((start - Iova.Value) >> PageSize.Shift);
        var last = (long)((endExclusive - 1 - Iova.Value) >> PageSize.Shift);
        SetBits(first, last);
    }

    /// <summary>Number of marked pages.</summary>
    public long CountSet()
    {
        long count = 0;
        foreach (var word in Words)
            count += BitOperations.PopCount(word);
        return count;
    }

    /// <summary>The indices of marked pages, in order.</summary>
    public IEnumerable<long> SetBits()
    {
        for (var w = 0; w < Words.Length; w++)
            for (var word = Words[w]; word != 0; word &= word - 1)
                yield return ((long)w << 6) + BitOperations.TrailingZeroCount(word);
    }

    public void Clear() => Array.Clear(Words);

    /// <summary>Sets bits first..last inclusive a word at a time, so a 1 GiB leaf at 4 KiB granularity costs 4096 stores, not 262144.</summary>
    private void SetBits(long first, long last)
    {
        var firstWord = (int)(first >> 6);
        var lastWord = (int)(last >> 6);
        var headMask = ulong.MaxValue << (int)(first & 63);
        var tailMask = ulong.MaxValue >> (63 - (int)(last & 63));
        if (firstWord == lastWord)
        {
            Words[firstWord] |= headMask & tailMask;
            return;
        }
        Words[firstWord] |= headMask;
        for (var w = firstWord + 1; w < lastWord; w++)
            Words[w] = ulong.MaxValue;
        Words[lastWord] |= tailMask;
    }
}
