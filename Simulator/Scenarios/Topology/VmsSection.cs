using System.Collections.Concurrent;
using IommuSim.Actors.Iommufd;
using IommuSim.Hardware.Memory;
using IommuSim.Messages;
using IommuSim.Messages.Iommufd;
using IommuSim.Runtime;
using IommuSim.Runtime.Configuration;
using IommuSim.Simulator.Runner;
using IommuSim.Simulator.Scenarios.Expressions;

namespace IommuSim.Simulator.Scenarios.Topology;

/// <summary>A VM of the machine: its guest RAM (the VMM's memory the IOAS pins) and its IOAS actor.</summary>
public sealed class VmInstance(string name, GuestMemory guest, IActorRef ioas)
{
    private int _migrations;

    public string Name { get; } = name;

    public GuestMemory Guest { get; } = guest;

    public IActorRef Ioas { get; } = ioas;

    /// <summary>A new number for the actors of one live migration of this VM (unique actor names).</summary>
    public int NextMigration() => Interlocked.Increment(ref _migrations);
}

/// <summary>
/// <c>vms { vm0 { memory = 4MiB, contiguous = 2MiB, allowed-iovas = [[START, LAST], ...],
/// reserved-iovas = [[START, LAST], ...], iommu-domains = [dom0] } }</c>: VMs whose VMM owns an
/// iommufd IOAS over guest RAM (seed 004). Guest RAM is allocated up front (page i holds
/// <c>0x6000_0000 + i</c>) at <see cref="UserBase"/> of the VMM; <c>contiguous</c> aligns it
/// physically so domains can use 2 MiB IOPTEs. At set-up the IOAS gets its allowed ranges
/// (IOMMU_IOAS_ALLOW_IOVAS), its reservations (iopt_reserve_iova) and its domains
/// (iopt_table_add_domain, the hardware page tables); at teardown everything is unmapped
/// (iopt_unmap_all), the domains detached and guest RAM freed.
/// </summary>
public static class VmsSection
{
    public const ulong UserBase = 0x7f00_0000_0000;

    /// <summary>The value guest page i holds at creation.</summary>
    public const ulong PatternBase = 0x6000_0000;

    /// <summary>The owner of the reservations the scenario makes.</summary>
    public const string ReservationOwner = "scenario";

    public static readonly TopologySection Section = new("vms",
        "vms { NAME { memory = 4MiB, contiguous = 4KiB | 2MiB, allowed-iovas = [[START, LAST], ...], reserved-iovas = [[START, LAST], ...], iommu-domains = [DOMAIN, ...] } }: VMs with guest RAM and an iommufd IOAS",
        Parse);

    private sealed record Spec(string Name, ulong Bytes, ulong Align, IReadOnlyList<IovaRange> Allowed, IReadOnlyList<IovaRange> Reserved, IReadOnlyList<string> Domains);

    public static VmInstance Vm(Machine machine, string name) =>
        machine.Extensions.TryGetValue(EntityKinds.Vm, out var vms) && vms.TryGetValue(name, out var vm) ? (VmInstance)vm
            : throw new ScenarioRuntimeException($"vm '{name}' does not exist");

    private static ITopologyPart? Parse(Reading.ObjectReader section, TopologyReader reader)
    {
        var vms = new List<Spec>();
        foreach (var name in section.Keys)
        {
            var entry = section.Object(name, $"vm {name}");
            if (entry is null || !reader.Declare(EntityKinds.Vm, name, entry)) continue;
            var bytes = entry.Size("memory") ?? 4UL << 20;
            var align = entry.Size("contiguous") ?? PageSize.Size4K.Bytes;
            if (bytes == 0 || !PageSize.Size4K.IsAligned(bytes) || bytes > 16UL << 30)
            {
                entry.Error("memory", "'memory' must be a non-zero multiple of 4KiB, at most 16GiB");
                bytes = 4UL << 20;
            }
            if (align is not (4096 or (2UL << 20) or (1UL << 30)))
            {
                entry.Error("contiguous", "'contiguous' must be 4KiB, 2MiB or 1GiB");
                align = PageSize.Size4K.Bytes;
            }
            var allowed = Ranges(entry, "allowed-iovas");
            var reserved = Ranges(entry, "reserved-iovas");
            var domains = new List<string>();
            foreach (var (domain, position) in entry.Names("iommu-domains"))
            {
                if (reader.Symbols.Has(EntityKinds.IommuDomain, domain)) domains.Add(domain);
                else entry.Error(position, reader.Symbols.Unknown(EntityKinds.IommuDomain, domain));
            }
            entry.CheckUnknownKeys();
            vms.Add(new Spec(name, bytes, align, allowed, reserved, domains));
        }
        return new Part(vms);
    }

    /// <summary>A list of inclusive IOVA ranges <c>[[START, LAST], ...]</c> (struct iommu_iova_range); each number may be a size expression.</summary>
    private static List<IovaRange> Ranges(Reading.ObjectReader entry, string key)
    {
        var list = new List<IovaRange>();
        switch (entry.Value(key))
        {
            case null:
                break;
            case ConfigArray ranges:
                foreach (var item in ranges)
                {
                    if (item is ConfigArray { Count: 2 } pair && Number(pair[0]) is { } start && Number(pair[1]) is { } last && start <= last)
                        list.Add(new IovaRange(start, last));
                    else
                        entry.Error(item.Position, $"{key}: each range must be [START, LAST] with START <= LAST, not {Reading.ObjectReader.Describe(item)}");
                }
                break;
            default:
                entry.Error(key, $"'{key}' must be a list of [START, LAST] ranges");
                break;
        }
        return list;
    }

    private static ulong? Number(ConfigValue v) => v switch
    {
        ConfigNumber n when ExprParser.TryParseSize(n.Text, out var b) => b,
        ConfigString s when ExprParser.TryParseSize(s.Value, out var b) => b,
        _ => null,
    };

    private sealed class Part(IReadOnlyList<Spec> vms) : ITopologyPart
    {
        public void Create(Machine machine)
        {
            var map = machine.Extensions.GetOrAdd(EntityKinds.Vm, _ => new ConcurrentDictionary<string, object>(StringComparer.Ordinal));
            foreach (var spec in vms)
            {
                GuestMemory guest;
                try
                {
                    guest = new GuestMemory(machine.Memory, new VirtAddr(UserBase), spec.Bytes, spec.Align);
                }
                catch (InvalidOperationException e)
                {
                    throw new ScenarioRuntimeException($"vm {spec.Name}: {e.Message} (raise machine.memory)");
                }
                for (var i = 0; i < guest.PageCount; i++) guest.Write(i, PatternBase + (ulong)i);
                map[spec.Name] = new VmInstance(spec.Name, guest, machine.System.ActorOf(IoasActor.Props(machine.Memory, guest), "ioas-" + spec.Name));
            }
        }

        public IEnumerable<Instruction> Setup(Machine machine, ScenarioRun run)
        {
            foreach (var spec in vms)
            {
                var ioas = Vm(machine, spec.Name).Ioas;
                var requests = new List<(string What, IIoasRequest Request)>();
                if (spec.Allowed.Count > 0) requests.Add(("allowing its IOVA ranges", new IoasAllowIovas(spec.Allowed)));
                requests.AddRange(spec.Reserved.Select(r => ($"reserving {r}", (IIoasRequest)new IoasReserveIova(ReservationOwner, r))));
                requests.AddRange(spec.Domains.Select(d => ($"attaching iommu-domain {d}", (IIoasRequest)new IoasAttachDomain(machine.IommuDomain(d)))));
                foreach (var (what, request) in requests)
                {
                    var call = new Call<Done>(ioas, request);
                    yield return call;
                    if (call.Reply.Errno != Errno.None) run.SetupFailed($"vm {spec.Name}", $"{what} failed with {call.Reply.Errno.Describe()}");
                }
            }
        }

        /// <summary>iommufd_ioas_destroy's order: unmap every area (unpinning it), detach every domain, then the VMM frees guest RAM.</summary>
        public IEnumerable<Instruction> TeardownAfterExit(Machine machine, ScenarioRun run)
        {
            foreach (var spec in vms)
            {
                var vm = Vm(machine, spec.Name);
                yield return new Call<IoasUnmapped>(vm.Ioas, IoasUnmap.All);
                var info = new Call<IoasInfo>(vm.Ioas, new GetIoasInfo());
                yield return info;
                foreach (var domain in info.Reply.Domains) yield return new Call<Done>(vm.Ioas, new IoasDetachDomain(domain));
                vm.Guest.Dispose();
            }
        }
    }
}
