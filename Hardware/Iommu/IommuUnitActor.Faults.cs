using IommuSim.Messages;
using IommuSim.Messages.Iommu;

namespace IommuSim.Hardware.Iommu;

// The fault queue (the SMMU event queue, VT-d's fault recording registers) and the read-only
// probe an oracle uses to ask whether a translation is still cached.
public sealed partial class IommuUnitActor
{
    private readonly Queue<IommuFaultRecord> _faults = new();
    private long _faultCount;
    private long _faultOverflow;

    /// <summary>Records a translation fault; a full queue drops it and counts the overflow, as the hardware sets its overflow flag.</summary>
    private void RecordFault(string device, Iova iova, bool write, Errno reason, uint domainId)
    {
        _faultCount++;
        if (_faults.Count >= _config.FaultQueueDepth)
        {
            _faultOverflow++;
            return;
        }
        _faults.Enqueue(new IommuFaultRecord(device, iova, write, reason, domainId));
    }

    private UnitFaults DrainFaults()
    {
        var faults = _faults.ToArray();
        _faults.Clear();
        var overflow = _faultOverflow;
        _faultOverflow = 0;
        return new UnitFaults(Errno.None, faults, overflow);
    }

    /// <summary>Whether the IOTLB or the device's micro-TLB could still translate the IOVA (Probe: no LRU or counter change).</summary>
    private void OnProbe(UnitProbe probe)
    {
        if (!_devices.TryGetValue(probe.DeviceName, out var device))
        {
            Sender.Tell(new UnitProbeResult(Errno.ENODEV, false, false, default), Self);
            return;
        }
        var inIotlb = false;
        var inMicro = false;
        var phys = default(PhysAddr);
        if (device.Domain is { IsPaging: true } context)
        {
            if (device.MicroTlb is { } micro && micro.Probe(context.Id, NoPasid, probe.Iova, out var microHit))
            {
                inMicro = true;
                phys = microHit.Phys;
            }
            if (_iotlb.Probe(context.Id, NoPasid, probe.Iova, out var hit))
            {
                inIotlb = true;
                phys = hit.Phys;
            }
        }
        Sender.Tell(new UnitProbeResult(Errno.None, inIotlb, inMicro, phys), Self);
    }
}
