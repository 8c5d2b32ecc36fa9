using IommuSim.Messages;
using IommuSim.Messages.Hmm;
using IommuSim.Runtime;

namespace IommuSim.Actors.Mm;

// The mirror list and the HMM domains (seed 000: hmm_add_mirror, hmm_find_domain_locked,
// hmm_new_domain, hmm_del_mirror_locked, hmm_free_domain_locked).
public sealed partial class MmActor
{
    private sealed record MirrorEntry(IActorRef Mirror, string Device, IActorRef? IommuDomain, IActorRef? HmmDomain);

    private sealed class DomainEntry(IActorRef iommuDomain, IActorRef hmmDomain)
    {
        public IActorRef IommuDomain { get; } = iommuDomain;
        public IActorRef HmmDomain { get; } = hmmDomain;
        public int Mirrors { get; set; }
    }

    // In registration order, so invalidations reach them in a reproducible order.
    private readonly List<MirrorEntry> _mirrors = [];
    private readonly List<DomainEntry> _domainList = [];
    private readonly Dictionary<IActorRef, DomainEntry> _domains = [];

    // Domains whose last mirror left: they still get invalidations until they have unmapped
    // everything and stopped, so no IOMMU mapping outlives the pages it points to.
    private readonly List<IActorRef> _dyingDomains = [];

    private void OnRegisterMirror(RegisterMirror r, IActorRef replyTo)
    {
        if (_exited)
        {
            replyTo.Tell(new MirrorRegistered(Errno.ESRCH, null, _sequence), Self);
            return;
        }
        // "Same device can mirror only once" (hmm_add_mirror), whether or not it has a domain.
        if (string.IsNullOrEmpty(r.DeviceName) || _mirrors.Exists(m => m.Device == r.DeviceName || m.Mirror.Equals(r.Mirror)))
        {
            replyTo.Tell(new MirrorRegistered(Errno.EINVAL, null, _sequence), Self);
            return;
        }
        IActorRef? hmmDomain = null;
        if (r.IommuDomain is { } iommu && _hmmDomainProps is { } props)
        {
            if (!_domains.TryGetValue(iommu, out var entry))
            {
                entry = new DomainEntry(iommu, Context.ActorOf(props(iommu)));
                Context.Watch(entry.HmmDomain);
                _domains[iommu] = entry;
                _domainList.Add(entry);
            }
            entry.Mirrors++;
            hmmDomain = entry.HmmDomain;
            hmmDomain.Tell(new AddDomainMirror(r.Mirror, r.DeviceName), Self);
        }
        _mirrors.Add(new MirrorEntry(r.Mirror, r.DeviceName, r.IommuDomain, hmmDomain));
        Context.Watch(r.Mirror);
        replyTo.Tell(new MirrorRegistered(Errno.None, hmmDomain, _sequence), Self);
    }

    private void OnUnregisterMirror(UnregisterMirror u, IActorRef replyTo)
    {
        var found = RemoveMirror(u.Mirror);
        if (found) Context.Unwatch(u.Mirror);
        replyTo.Tell(found ? Done.Ok : new Done(Errno.EINVAL), Self);
    }

    // hmm_del_mirror_locked: the last mirror of a domain frees it (after it unmapped everything).
    private bool RemoveMirror(IActorRef mirror)
    {
        var i = _mirrors.FindIndex(m => m.Mirror.Equals(mirror));
        if (i < 0) return false;
        var entry = _mirrors[i];
        _mirrors.RemoveAt(i);
        if (entry.IommuDomain is { } iommu && _domains.TryGetValue(iommu, out var domain))
        {
            domain.HmmDomain.Tell(new RemoveDomainMirror(mirror), Self);
            if (--domain.Mirrors == 0)
            {
                _domains.Remove(iommu);
                _domainList.Remove(domain);
                _dyingDomains.Add(domain.HmmDomain);
            }
        }
        ForgetReceiver(mirror);
        return true;
    }

    private void OnTerminated(Terminated t)
    {
        if (RemoveMirror(t.ActorRef) || ForgetSvaDomain(t.ActorRef)) return;
        if (_dyingDomains.Remove(t.ActorRef))
        {
            ForgetReceiver(t.ActorRef);
            return;
        }
        // An HMM domain that failed: its mirrors keep working without it (they see their
        // MapDirectory go unanswered only if they sent one to it after it died, which the
        // runtime turns into a dead letter).
        var live = _domainList.Find(d => d.HmmDomain.Equals(t.ActorRef));
        if (live == null) return;
        _domainList.Remove(live);
        _domains.Remove(live.IommuDomain);
        ForgetReceiver(t.ActorRef);
    }

    // AddDomainMirror's answer. The mm checked the device's uniqueness before, so an error here
    // means the domain and the mm disagree; it is logged, nothing else depends on it.
    private void OnDomainAck(Done done)
    {
        if (!done.IsOk) Log.Warning($"HMM domain {Sender.Path} refused a mirror: {done.Errno.Describe()}");
    }

    private void OnDomainMirrorRemoved(DomainMirrorRemoved removed)
    {
        if (removed.MirrorsLeft == 0 && _dyingDomains.Contains(Sender)) Context.Stop(Sender);
    }

    /// <summary>The device a registered mirror stands for (its dev_private_owner), or null for a stranger.</summary>
    private string? DeviceOf(IActorRef sender) => _mirrors.Find(m => m.Mirror.Equals(sender))?.Device;

    private MirrorEntry? MirrorOf(IActorRef sender) => _mirrors.Find(m => m.Mirror.Equals(sender));
}
