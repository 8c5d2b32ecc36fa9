using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Runtime;

namespace IommuSim.Hardware.Devices;

// DMA by (PASID, virtual address) for SVA (seed 002), with PCIe page requests: the device hands
// the burst to its unit; when a page cannot be translated the unit sends a page request group for
// it and the device waits for the group's response: SUCCESS retries the burst from that page,
// INVALID or FAILURE fails it there with EFAULT. PASID bursts are independent of one another and
// of the IOVA pipeline (a burst that waits for a page response does not hold up the others), so
// their results come back in completion order, each to its requester.
public sealed partial class DeviceActor
{
    /// <summary>One PASID burst: what is done so far, the page requests it sent, and the page it last faulted at.</summary>
    private sealed class PasidBurst(IActorRef requester, Pasid pasid, ulong address, int pages, bool write, IReadOnlyList<ulong>? values)
    {
        public IActorRef Requester { get; } = requester;
        public Pasid Pasid { get; } = pasid;
        public ulong Address { get; } = address;
        public int Pages { get; } = pages;
        public bool Write { get; } = write;
        public IReadOnlyList<ulong>? Values { get; } = values;
        public ulong[]? Read { get; } = write ? null : new ulong[pages];
        public int Done { get; set; }
        public int PageRequests { get; set; }
        public int FaultedAt { get; set; } = -1;
        public int Retries { get; set; }
    }

    // PASID bursts at the unit, by the tag of their current request, and those waiting for a page response.
    private readonly Dictionary<long, PasidBurst> _pasidBursts = [];
    private readonly Dictionary<(uint Pasid, int Group), PasidBurst> _awaitingResponse = [];
    private long _pageRequestsSent;
    private long _strayResponses;

    private void StartPasidBurst(Pasid pasid, VirtAddr address, int pages, bool write, IReadOnlyList<ulong>? values, IActorRef replyTo)
    {
        var burst = new PasidBurst(replyTo, pasid, address.Value, pages, write, values);
        var error = _probe != Errno.None ? Errno.ENODEV : IommuUnitActor.CheckBurst(new Iova(address.Value), pages);
        if (error != Errno.None)
        {
            CompletePasid(burst, error);
            return;
        }
        SendPasidBurst(burst);
    }

    /// <summary>Hands the rest of the burst (from its first page not done) to the unit.</summary>
    private void SendPasidBurst(PasidBurst burst)
    {
        var tag = ++_nextTag;
        _pasidBursts.Add(tag, burst);
        var rest = burst.Pages - burst.Done;
        IReadOnlyList<ulong>? values = burst.Values is { } v
            ? (burst.Done == 0 ? v : [.. v.Skip(burst.Done)])
            : null;
        var at = new VirtAddr(burst.Address + ((ulong)burst.Done << PageSize.BaseShift));
        _unit.Ref.Tell(new UnitPasidDma(_options.Name, burst.Pasid, at, rest, burst.Write, values, tag), Self);
    }

    private void OnUnitPasidDmaDone(UnitPasidDmaDone done)
    {
        if (!_pasidBursts.Remove(done.Tag, out var burst)) return;
        if (burst.Read is { } read)
            for (var i = 0; i < done.Values.Count; i++) read[burst.Done + i] = done.Values[i];
        burst.Done += done.Pages;
        if (done.PageRequestGroup is not { } group)
        {
            CompletePasid(burst, done.Errno);
            return;
        }
        burst.PageRequests++;
        _pageRequestsSent++;
        _awaitingResponse[(burst.Pasid.Value, group)] = burst;
    }

    /// <summary>
    /// The unit's page group response: SUCCESS retries from the faulting page (giving up after
    /// <see cref="DeviceOptions.MaxPageRequestRetries"/> requests that made no progress), anything
    /// else fails the burst there. A response for no group the device waits on is counted and ignored.
    /// </summary>
    private void OnPageGroupResponse(PageGroupResponse response)
    {
        if (!_awaitingResponse.Remove((response.Pasid.Value, response.GroupId), out var burst))
        {
            _strayResponses++;
            return;
        }
        if (response.Code != PageResponseCode.Success)
        {
            CompletePasid(burst, Errno.EFAULT);
            return;
        }
        burst.Retries = burst.FaultedAt == burst.Done ? burst.Retries + 1 : 1;
        burst.FaultedAt = burst.Done;
        if (burst.Retries > _options.MaxPageRequestRetries)
        {
            CompletePasid(burst, Errno.EFAULT);
            return;
        }
        SendPasidBurst(burst);
    }

    private DevicePriStats PriStats() => new(Errno.None, _pageRequestsSent, _strayResponses, _awaitingResponse.Count, _pasidBursts.Count);

    private void CompletePasid(PasidBurst burst, Errno errno)
    {
        _bursts++;
        if (burst.Write) _pagesWritten += burst.Done;
        else _pagesRead += burst.Done;
        if (errno != Errno.None) _faults++;
        IReadOnlyList<ulong> values = burst.Read is { } read
            ? (burst.Done == read.Length ? read : new ArraySegment<ulong>(read, 0, burst.Done))
            : [];
        burst.Requester.Tell(new SvaDmaCompleted(errno, burst.Pasid, new VirtAddr(burst.Address), burst.Done, values, burst.PageRequests), Self);
    }
}
