using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Iommufd;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Actors.Iommufd;

// Domains: iopt_table_add_domain and iopt_table_remove_domain.
public sealed partial class IoasActor
{
    /// <summary>
    /// An attached domain as the IOAS knows it: its page sizes and aperture from
    /// <see cref="IommuDomainInfo"/>, whether it has dirty_ops, and whether the IOAS switched its
    /// tracking on (only the IOAS does, through <see cref="IoasSetDirtyTracking"/>).
    /// </summary>
    private sealed class AttachedDomain(IActorRef domain, IommuDomainGeometry geometry, bool dirtySupported)
    {
        public IActorRef Ref { get; } = domain;
        public IommuDomainGeometry Geometry { get; } = geometry;
        public bool DirtySupported { get; } = dirtySupported;
        public bool Tracking { get; set; }
        public ulong MinPageBytes => PageSizeBitmap.MinPageSize(Geometry.PageSizes).Bytes;
    }

    private readonly List<AttachedDomain> _domains = [];

    private AttachedDomain? Attached(IActorRef domain) => _domains.Find(d => d.Ref.Equals(domain));

    /// <summary>
    /// iopt_table_add_domain: EEXIST for a domain already attached; EINVAL for one that cannot
    /// map (no page table) or whose smallest page is above PAGE_SIZE; EADDRINUSE when the larger
    /// IOVA alignment it brings does not fit an existing area, or when an area or an allowed range
    /// lies beyond its aperture (reserved for it, iopt_reserve_iova); then every area is mapped
    /// into it (iopt_fill_domain), and a failure unmaps what was mapped and drops the reservation.
    /// </summary>
    private void OnAttachDomain(IoasAttachDomain attach)
    {
        if (Attached(attach.Domain) is not null)
        {
            Finish(new Done(Errno.EEXIST));
            return;
        }
        Call(attach.Domain, new GetIommuDomainInfo(), reply =>
        {
            if (reply is not IommuDomainInfo { Errno: Errno.None, Geometry: { } geometry } info)
            {
                Finish(new Done(reply.Errno == Errno.None ? Errno.EINVAL : reply.Errno));
                return;
            }
            var domain = new AttachedDomain(attach.Domain, geometry, info.DirtyTrackingSupported) { Tracking = info.DirtyTracking };
            var alignment = Math.Max(domain.MinPageBytes, _iovaAlignment);
            var error = alignment > PageBytes ? Errno.EINVAL : Errno.None;
            if (error == Errno.None && alignment != _iovaAlignment) error = CheckAreasAligned(alignment);
            // The aperture is [0, 2^bits - 1]: everything above is reserved for the domain.
            if (error == Errno.None && geometry.AddressBits < 64)
                error = Reserve(new IovaRange(1UL << geometry.AddressBits, ulong.MaxValue), attach.Domain);
            if (error != Errno.None)
            {
                Finish(new Done(error));
                return;
            }
            var areas = _areas.Values.ToList();
            ForEach(areas, (area, next) => FillDomain(attach.Domain, area, area.MapRequests(), next), (fillError, filled) =>
            {
                if (fillError == Errno.None)
                {
                    _domains.Add(domain);
                    _iovaAlignment = alignment;
                    if (Tracing(typeof(IoasDomainAttached))) Trace(new IoasDomainAttached(Self, attach.Domain));
                    Finish(Done.Ok);
                    return;
                }
                ForEach(areas.Take(filled).ToList(), (area, next) => Call(attach.Domain, area.UnmapRequest(), _ => next(Errno.None)), (_, _) =>
                {
                    RemoveReserved(attach.Domain);
                    Finish(new Done(fillError));
                });
            });
        });
    }

    /// <summary>
    /// iopt_table_remove_domain: ENOENT for a domain not attached here; else every area is
    /// unmapped from it (iopt_unfill_domain, each unmap answered after its IOTLB sync), its
    /// reservations go, and the IOVA alignment is computed again from the domains left.
    /// </summary>
    private void OnDetachDomain(IoasDetachDomain detach)
    {
        if (Attached(detach.Domain) is not { } domain)
        {
            Finish(new Done(Errno.ENOENT));
            return;
        }
        _domains.Remove(domain);
        ForEach(_areas.Values.ToList(), (area, next) => Call(domain.Ref, area.UnmapRequest(), _ => next(Errno.None)), (_, _) =>
        {
            RemoveReserved(domain.Ref);
            _iovaAlignment = _domains.Count == 0 ? 1 : _domains.Max(d => d.MinPageBytes);
            if (Tracing(typeof(IoasDomainDetached))) Trace(new IoasDomainDetached(Self, domain.Ref));
            Finish(Done.Ok);
        });
    }
}
