using IommuSim.Messages;
using IommuSim.Messages.Trace;

namespace IommuSim.Actors.Hmm;

// The device's accesses to memory through its page table (the memcpy of dmirror_do_read /
// dmirror_do_write), each one published for the DMA safety oracle.
public sealed partial class HmmMirrorActor
{
    /// <summary>Reads one value from every page of the range; every page must be mapped.</summary>
    private ulong[] ReadPages(AddressRange range)
    {
        var trace = TracingDma;
        var values = new ulong[range.Pages];
        for (var i = 0; i < values.Length; i++)
        {
            var addr = range.Start + ((ulong)i << PageShift);
            var pfn = Access(addr, write: false, trace);
            _memory.ReadPage(pfn, out values[i]);
        }
        _pagesCopied += values.Length;
        return values;
    }

    /// <summary>Writes one value to every page of the range; every page must be mapped writable.</summary>
    private void WritePages(AddressRange range, IReadOnlyList<ulong> values)
    {
        var trace = TracingDma;
        for (var i = 0; i < values.Count; i++)
        {
            var addr = range.Start + ((ulong)i << PageShift);
            var pfn = Access(addr, write: true, trace);
            _memory.WritePage(pfn, values[i]);
            _memory.SetPageDirty(pfn);
        }
        _pagesCopied += values.Count;
    }

    // Checked for the type itself, not for ITraceEvent: a subscriber to DmaAccess alone (the
    // cost model, a test) gets the accesses without making the mirror publish everything else.
    private bool TracingDma => Context.System.EventStream.HasSubscribers(typeof(DmaAccess));

    /// <summary>
    /// The pfn the device page table maps at <paramref name="addr"/>, publishing the access with
    /// the page's generation then and now: a page freed (or freed and reused) since the mm
    /// handed it out shows as not live or as a new generation.
    /// </summary>
    private Pfn Access(ulong addr, bool write, bool trace)
    {
        var pfn = _pt.Get(addr).Pfn!.Value;
        if (trace)
        {
            var mapped = _mapped.Get(addr >> PageShift);
            Publish(new DmaAccess(_device, _mm, new VirtAddr(addr), pfn, mapped.Iova, mapped.Generation,
                _memory.PageGeneration(pfn), _memory.IsPageLive(pfn), write, mapped.Sequence));
        }
        return pfn;
    }
}
