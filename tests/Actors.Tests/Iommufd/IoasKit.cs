using IommuSim.Actors.Iommu;
using IommuSim.Actors.Iommufd;
using IommuSim.Actors.Tests.Iommu;
using IommuSim.Hardware.Iommu;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Iommufd;
using IommuSim.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace IommuSim.Actors.Tests.Iommufd;

/// <summary>
/// The base of the IOAS and dirty tracking tests: the IOMMU kit (a system per test on either
/// dispatcher, physical memory, units, devices, domains) plus guest memory, IOAS actors, and the
/// usual machine: one unit with dirty tracking, a device attached to a dirty-tracking domain, an
/// IOAS over the guest memory with the domain attached.
/// </summary>
public abstract class IoasKit(ITestOutputHelper output, bool deterministic, ulong seed = 1) : IommuKit(output, deterministic, seed)
{
    public const ulong UserBase = 0x7f00_0000_0000;
    public const ulong IovaBase = 0x10_0000_0000;

    protected const IommuProt ReadWrite = IommuProt.Read | IommuProt.Write;

    /// <summary>Guest RAM of <paramref name="bytes"/> at <see cref="UserBase"/>, page i holding <c>0x6000_0000 + i</c>.</summary>
    protected GuestMemory Guest(ulong bytes, ulong align = K4)
    {
        var guest = new GuestMemory(Memory, new VirtAddr(UserBase), bytes, align);
        for (var i = 0; i < guest.PageCount; i++) guest.Write(i, 0x6000_0000UL + (ulong)i);
        return guest;
    }

    protected IActorRef Ioas(IUserMemory user, string? name = null) => Sys.ActorOf(IoasActor.Props(Memory, user), name);

    protected IActorRef DirtyDomain(IommuUnitHandle unit, ulong? pageSizes = null, string? name = null) =>
        Domain(unit, new IommuDomainOptions { DirtyTracking = true, PageSizes = pageSizes }, name);

    protected static VirtAddr User(ulong offset) => new(UserBase + offset);

    protected IoasMapped MapIoas(IActorRef ioas, ulong userOffset, ulong length, ulong? iova = null, IommuProt prot = ReadWrite) =>
        Call<IoasMapped>(ioas, new IoasMap(User(userOffset), length, prot, iova is { } v ? new Iova(v) : null));

    protected IoasUnmapped UnmapIoas(IActorRef ioas, ulong iova, ulong length) =>
        Call<IoasUnmapped>(ioas, new IoasUnmap(new Iova(iova), length));

    protected IoasInfo Info(IActorRef ioas) => Call<IoasInfo>(ioas, new GetIoasInfo());

    protected Errno AttachToIoas(IActorRef ioas, IActorRef domain) => Call<Done>(ioas, new IoasAttachDomain(domain)).Errno;

    protected Errno SetTracking(IActorRef ioas, IActorRef domain, bool enable) => Call<Done>(ioas, new IoasSetDirtyTracking(domain, enable)).Errno;

    protected IoasDirtyBitmap ReadDirty(IActorRef ioas, IActorRef? domain, ulong iova, ulong length, ulong pageSize = K4,
        DirtyBitmapFlags flags = DirtyBitmapFlags.None, ulong[]? data = null) =>
        Call<IoasDirtyBitmap>(ioas, new IoasGetDirtyBitmap(domain, new Iova(iova), length, pageSize, flags, data));

    protected IommuDirtyStats DirtyStats(IActorRef domain) => Call<IommuDirtyStats>(domain, new GetIommuDirtyStats());

    /// <summary>What a machine test works with.</summary>
    protected sealed record IoasMachine(IommuUnitHandle Unit, IActorRef Device, IActorRef Domain, IActorRef Ioas, GuestMemory Guest);

    /// <summary>
    /// One unit, a device attached to a dirty-tracking domain, guest memory of
    /// <paramref name="bytes"/> mapped whole at <see cref="IovaBase"/> in an IOAS that has the domain.
    /// </summary>
    protected IoasMachine Machine(ulong bytes = 64 * K4, ulong align = K4, ulong? pageSizes = null,
        Func<IommuUnitConfig, IommuUnitConfig>? unit = null, IommuDomainOptions? options = null)
    {
        var u = Unit(edit: unit);
        var device = Device(u, "gpu0");
        var domain = options is null ? DirtyDomain(u, pageSizes) : Domain(u, options);
        Assert.Equal(Errno.None, Attach(domain, "gpu0", u));
        var guest = Guest(bytes, align);
        var ioas = Ioas(guest, "ioas");
        Assert.Equal(Errno.None, AttachToIoas(ioas, domain));
        Assert.Equal(new IoasMapped(Errno.None, new Iova(IovaBase)), MapIoas(ioas, 0, bytes, IovaBase));
        return new IoasMachine(u, device, domain, ioas, guest);
    }

    /// <summary>The indices of the set bits.</summary>
    protected static long[] Bits(IoasDirtyBitmap bitmap)
    {
        Assert.Equal(Errno.None, bitmap.Errno);
        return [.. bitmap.SetBits()];
    }
}
