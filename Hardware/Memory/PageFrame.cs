using System.Runtime.InteropServices;

namespace IommuSim.Hardware.Memory;

/// <summary>
/// The simulator's struct page: one 4 KiB frame. 32 bytes, so a 256-frame chunk is 8 KiB.
/// A frame is free exactly when <see cref="RefCount"/> is 0 (page_ref_count() == 0); every
/// other field is meaningful only while it is allocated, except <see cref="NextFree"/>, which
/// threads the pool's free list through free frames so the free list costs no memory of its own.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PageFrame
{
    /// <summary>PG_dirty in <see cref="Flags"/> (SetPageDirty / TestClearPageDirty).</summary>
    public const int DirtyFlag = 1;

    /// <summary>Marker for the end of the intrusive free list.</summary>
    public const long NoFrame = -1;

    /// <summary>The page's contents: one 64-bit word stands for the 4 KiB, enough to check data end to end.</summary>
    public ulong Contents;

    /// <summary>Index of the next free frame while this one is on the free list.</summary>
    public long NextFree;

    /// <summary>page->_refcount: 0 = free; a pin holds one reference too (FOLL_PIN).</summary>
    public int RefCount;

    /// <summary>The FOLL_PIN count (folio->_pincount): pins from pin_user_pages not yet unpinned.</summary>
    public int PinCount;

    /// <summary>Page flags; only <see cref="DirtyFlag"/> is modelled.</summary>
    public int Flags;

    /// <summary>
    /// How many times this frame has been allocated. A holder that remembers the generation it
    /// got can tell "my page" from "a page that was freed and reused at the same pfn".
    /// </summary>
    public int Generation;
}
