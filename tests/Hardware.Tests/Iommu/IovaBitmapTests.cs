using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using Xunit;
using static IommuSim.Hardware.Tests.Iommu.Sizes;

namespace IommuSim.Hardware.Tests.Iommu;

public class IovaBitmapTests
{
    [Fact]
    public void Set_marks_every_page_the_range_touches_across_word_boundaries()
    {
        var bitmap = new IovaBitmap(Iova(0), 200 * K4, PageSize.Size4K);
        bitmap.Set(Iova(60 * K4 + 0x10), 10 * K4);

        Assert.Equal(Enumerable.Range(60, 11).Select(i => (long)i), bitmap.SetBits());
        Assert.Equal(0xF000_0000_0000_0000UL, bitmap.Words[0]);
        Assert.Equal(0x7FUL, bitmap.Words[1]);
    }

    [Fact]
    public void Set_is_clamped_to_the_bitmap_range()
    {
        var bitmap = new IovaBitmap(Iova(M2), 8 * K4, PageSize.Size4K);
        bitmap.Set(Iova(0), 4 * M2);
        Assert.Equal(8, bitmap.CountSet());
        bitmap.Clear();
        bitmap.Set(Iova(0), M2);
        bitmap.Set(Iova(M2 + 8 * K4), K4);
        Assert.Equal(0, bitmap.CountSet());
    }

    [Fact]
    public void Sizes_follow_dirty_bitmap_bytes()
    {
        Assert.Equal(1, IovaBitmap.WordsFor(64 * K4, PageSize.Size4K));
        Assert.Equal(2, IovaBitmap.WordsFor(65 * K4, PageSize.Size4K));
        Assert.Equal(1, IovaBitmap.WordsFor(K4 + 1, PageSize.Size4K));
        Assert.Equal(65, new IovaBitmap(Iova(0), 65 * K4, PageSize.Size4K).BitCount);
    }

    [Fact]
    public void Caller_words_are_used_in_place()
    {
        var words = new ulong[4];
        var bitmap = new IovaBitmap(Iova(0), 128 * K4, PageSize.Size4K, words);
        bitmap.Set(Iova(127 * K4), K4);
        Assert.Equal(1UL << 63, words[1]);
        Assert.Throws<ArgumentException>(() => new IovaBitmap(Iova(0), 129 * K4, PageSize.Size4K, new ulong[2]));
    }

    [Fact]
    public void Construction_rejects_unaligned_or_empty_ranges()
    {
        Assert.Throws<ArgumentException>(() => new IovaBitmap(Iova(K4), M2, PageSize.Size2M));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IovaBitmap(Iova(0), 0, PageSize.Size4K));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IovaBitmap(Iova(0), 4, PageSize.Size4K).IsSet(1));
    }
}
