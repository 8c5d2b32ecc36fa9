using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Runtime;

namespace IommuSim.Actors.Iommu;

// iommu_attach_device / iommu_detach_device. The domain checks the unit ("a domain belongs to
// one IOMMU unit"), the unit checks that the domain's configuration fits it and installs the
// device's STE; the answers come back in the order the requests went.
public sealed partial class IommuDomainActor
{
    /// <summary>An attach or detach waiting for the unit; <paramref name="Refused"/> is one the domain refused itself, answered in turn.</summary>
    private readonly record struct Membership(IActorRef ReplyTo, string Device, bool Attach, Errno? Refused = null);

    private readonly HashSet<string> _attached = new(StringComparer.Ordinal);
    private readonly Queue<Membership> _membership = new();
    private uint? _domainId;

    /// <summary>
    /// A device of another unit cannot attach (arm_smmu_attach_dev: "smmu_domain->smmu != smmu"
    /// returns -EINVAL; the core's domain->owner check): the caller makes a domain for that unit.
    /// The unit checks the rest (its configuration against the domain's, the device's state).
    /// </summary>
    private void OnAttach(AttachDevice attach)
    {
        if (!string.Equals(attach.UnitName, _unit.Name, StringComparison.Ordinal))
        {
            Refuse(new Membership(Sender, attach.DeviceName, Attach: true, Errno.EINVAL));
            return;
        }
        _membership.Enqueue(new Membership(Sender, attach.DeviceName, Attach: true));
        _unit.Ref.Tell(new UnitAttachDevice(attach.DeviceName, Self, _options.Type, _geometry), Self);
    }

    /// <summary>iommu_detach_device: EINVAL for a device that is neither attached nor being attached here.</summary>
    private void OnDetach(DetachDevice detach)
    {
        var known = _attached.Contains(detach.DeviceName)
            || _membership.Any(m => m.Attach && m.Refused is null && m.Device == detach.DeviceName);
        if (!known)
        {
            Refuse(new Membership(Sender, detach.DeviceName, Attach: false, Errno.EINVAL));
            return;
        }
        _membership.Enqueue(new Membership(Sender, detach.DeviceName, Attach: false));
        _unit.Ref.Tell(new UnitDetachDevice(detach.DeviceName, Self), Self);
    }

    /// <summary>Answers a refusal now, or after the requests before it so that answers keep the order of the requests.</summary>
    private void Refuse(Membership refused)
    {
        if (_membership.Count == 0) refused.ReplyTo.Tell(new Done(refused.Refused!.Value), Self);
        else _membership.Enqueue(refused);
    }

    private void OnUnitAttached(UnitDeviceAttached attached)
    {
        if (!_membership.TryDequeue(out var request)) return;
        if (attached.Errno == Errno.None)
        {
            _attached.Add(request.Device);
            if (IsPaging) _domainId = attached.DomainId;
        }
        request.ReplyTo.Tell(new Done(attached.Errno), Self);
        AnswerRefusals();
    }

    private void OnUnitDetached(UnitDeviceDetached detached)
    {
        if (!_membership.TryDequeue(out var request)) return;
        if (detached.Errno == Errno.None)
        {
            _attached.Remove(request.Device);
            if (detached.DomainIdReleased) _domainId = null;
        }
        request.ReplyTo.Tell(new Done(detached.Errno), Self);
        AnswerRefusals();
    }

    private void AnswerRefusals()
    {
        while (_membership.TryPeek(out var next) && next.Refused is { } errno)
        {
            _membership.Dequeue();
            next.ReplyTo.Tell(new Done(errno), Self);
        }
    }
}
