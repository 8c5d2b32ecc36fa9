using System.Diagnostics;
using System.Text.Json.Nodes;
using IommuSim.Actors.Mm;
using IommuSim.Actors.Sva;
using IommuSim.Hardware.Devices;
using IommuSim.Hardware.Iommu;
using IommuSim.Hardware.Memory;
using IommuSim.LoadTests.Runtime;
using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Sva;
using IommuSim.Runtime;

using static IommuSim.LoadTests.Domain.DomainSetup;

namespace IommuSim.LoadTests.Seeds;

/// <summary>
/// SVA bind/unbind pairs per second (seed 002, DESIGN.md protocol 6): one driver per device binds
/// the mm and unbinds it again, over and over, all drivers at once. Every bind asks the device's
/// unit for its PASID limits, and either joins the domain of its unit (another device of the unit
/// is bound) or makes one, which takes a reference on the mm and installs the device's PASID
/// entry; the last unbind of a domain removes the entry (flushing its faults) and frees the domain.
/// Binds and unbinds are serialised by the SVA core, as iommu_sva_lock serialises them. A lone
/// device makes and frees a domain on every pair; 16 devices over 4 units mostly join one.
/// </summary>
public sealed class SvaBindScenario(SvaBindScenario.Sizes sizes) : IScenario
{
    public const string ScenarioName = "sva-bind";

    /// <summary>Pairs per run (over all devices), the machines (units, devices per unit, domain sharing), and the measuring discipline.</summary>
    public sealed record Sizes(long Pairs, IReadOnlyList<(int Units, int DevicesPerUnit, SvaDomainSharing Sharing)> Machines, MeasureSettings Measure)
    {
        public static Sizes Full { get; } = new(200_000,
            [(1, 1, SvaDomainSharing.PerUnit), (4, 4, SvaDomainSharing.PerUnit), (4, 4, SvaDomainSharing.Shared)], MeasureSettings.Default);

        public static Sizes Quick { get; } = Full with { Pairs = 2_000 };
    }

    public static SvaBindScenario Create(bool quick) => new(quick ? Sizes.Quick : Sizes.Full);

    public string Name => ScenarioName;

    private readonly record struct BindRun(double PairsPerSec, long DomainsAllocated);

    public void Run(Action<ScenarioResult> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        foreach (var machine in sizes.Machines) report(MeasureMachine(machine.Units, machine.DevicesPerUnit, machine.Sharing));
    }

    private ScenarioResult MeasureMachine(int units, int devicesPerUnit, SvaDomainSharing sharing)
    {
        var devices = units * devicesPerUnit;
        var perDevice = sizes.Pairs / devices;
        var pairs = perDevice * devices;
        var runs = Measure.Runs(sizes.Measure, () => RunOnce(units, devicesPerUnit, sharing, perDevice));
        var median = Measure.Median(runs.Select(r => r.PairsPerSec));
        var sharingName = sharing == SvaDomainSharing.Shared ? "shared" : "per-unit";
        return new ScenarioResult(
            Name,
            $"units={units} devices={devices} sharing={sharingName} pairs={pairs}",
            ResultTable.Rate(median, "pairs/s"),
            ResultTable.Rates(runs.Select(r => r.PairsPerSec)),
            new JsonObject
            {
                ["scenario"] = Name,
                ["units"] = units,
                ["devices"] = devices,
                ["sharing"] = sharingName,
                ["pairs"] = pairs,
                ["domains_allocated"] = runs[0].DomainsAllocated,
                ["median_pairs_per_sec"] = BenchmarkReport.Round(median, 1),
                ["runs_pairs_per_sec"] = BenchmarkReport.Array(runs.Select(r => r.PairsPerSec), 1),
            });
    }

    private static BindRun RunOnce(int units, int devicesPerUnit, SvaDomainSharing sharing, long pairsPerDevice)
    {
        var system = BenchmarkSystems.ThreadPool("sva-bind");
        try
        {
            var memory = new PhysicalMemory(16UL << 20);
            var sva = system.ActorOf(IommuSvaActor.Props(new SvaOptions { DomainSharing = sharing }), "sva");
            var mm = system.ActorOf(MmActor.Props(memory), "mm");
            var devices = new List<(string Name, IActorRef Unit)>();
            for (var u = 0; u < units; u++)
            {
                var unit = IommuUnitActor.Create(system, new IommuUnitConfig($"iommu{u}", IommuUnitCapabilities.IntelVtd), memory);
                for (var d = 0; d < devicesPerUnit; d++)
                {
                    var name = $"dev{u}.{d}";
                    var device = system.ActorOf(DeviceActor.Props(new DeviceOptions(name), unit, memory), name);
                    Ask<DeviceStats>(device, new GetDeviceStats());
                    devices.Add((name, unit.Ref));
                }
            }
            var done = new Countdown(devices.Count);
            var drivers = devices.Select(d => system.ActorOf(Props.Create(() => new BindDriver(sva, d.Name, d.Unit, mm, pairsPerDevice, done)))).ToList();
            foreach (var d in drivers) BenchmarkSystems.AwaitCreated(d);

            var start = Stopwatch.GetTimestamp();
            foreach (var d in drivers) d.Tell(BindDriver.Start, null);
            BenchmarkSystems.Wait(done.Task, "bind/unbind pairs");
            var elapsed = Stopwatch.GetElapsedTime(start);

            var stats = Ask<SvaStats>(sva, new GetSvaStats());
            var total = pairsPerDevice * devices.Count;
            if (stats.Bonds != 0 || stats.Domains != 0 || stats.Binds != total || stats.Unbinds != total)
                throw new InvalidOperationException($"after {total} pairs: {stats}");
            return new BindRun(Measure.PerSecond(total, elapsed), stats.DomainsAllocated);
        }
        finally
        {
            BenchmarkSystems.Shutdown(system);
        }
    }

    /// <summary>A device driver: bind, unbind, <c>pairs</c> times, then a signal.</summary>
    private sealed class BindDriver : UntypedActor
    {
        public static readonly object Start = new();

        private readonly IActorRef _sva;
        private readonly SvaBindDevice _bind;
        private readonly long _pairs;
        private readonly Countdown _done;
        private long _completed;

        public BindDriver(IActorRef sva, string device, IActorRef unit, IActorRef mm, long pairs, Countdown done)
        {
            _sva = sva;
            _bind = new SvaBindDevice(device, unit, mm);
            _pairs = pairs;
            _done = done;
        }

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case SvaBond bond:
                    Expect(bond.Errno, "bind");
                    _sva.Tell(new SvaUnbindDevice(bond.BondId), Self);
                    break;
                case Done unbound:
                    Expect(unbound.Errno, "unbind");
                    if (++_completed < _pairs) _sva.Tell(_bind, Self);
                    else _done.Signal();
                    break;
                case var _ when ReferenceEquals(message, Start):
                    if (_pairs == 0) _done.Signal();
                    else _sva.Tell(_bind, Self);
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }
    }
}
