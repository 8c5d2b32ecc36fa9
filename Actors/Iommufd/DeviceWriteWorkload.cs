using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Iommufd;
using IommuSim.Runtime;

namespace IommuSim.Actors.Iommufd;

/// <summary>
/// What keeps guest memory changing during a live migration: every <see cref="Interval"/> each
/// device writes <see cref="BurstPages"/> consecutive pages at a random page of the
/// <see cref="Pages"/> mapped from <see cref="IovaBase"/>, each page a value never written before
/// (so that a stale copy shows). Rate: devices × burst pages / interval, in the system's time.
/// </summary>
public sealed record DeviceWriteWorkloadOptions(IReadOnlyList<IActorRef> Devices, Iova IovaBase, int Pages)
{
    public int BurstPages { get; init; } = 4;

    public TimeSpan Interval { get; init; } = TimeSpan.FromMicroseconds(100);

    public ulong Seed { get; init; } = 1;

    /// <summary>Pages per second the devices write together.</summary>
    public double PagesPerSecond => Devices.Count * BurstPages / Interval.TotalSeconds;
}

/// <summary>The devices' DMA writes on a periodic timer (virtual time on the deterministic dispatcher), until quiesced.</summary>
public sealed class DeviceWriteWorkload : ReceiveActor
{
    private const string TickTimer = "tick";

    private readonly DeviceWriteWorkloadOptions _options;
    private readonly Random _random;
    private IActorRef? _quiesceReplyTo;
    private bool _stopped;
    private long _inFlight;
    private long _bursts;
    private long _pages;
    private long _faults;
    private ulong _sequence;

    public DeviceWriteWorkload(DeviceWriteWorkloadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Devices.Count == 0 || options.BurstPages < 1 || options.BurstPages > options.Pages || options.Interval <= TimeSpan.Zero)
            throw new ArgumentException("a workload needs devices, a burst that fits the pages and a positive interval", nameof(options));
        _options = options;
        // The seed fixes the pages and values: a deterministic run replays them exactly.
        _random = new Random(unchecked((int)(options.Seed * 0x9E3779B1UL)));
        Receive<StartDeviceWrites>(_ =>
        {
            if (!_stopped) Timers.StartPeriodicTimer(TickTimer, Tick.Instance, options.Interval);
        });
        Receive<Tick>(_ => OnTick());
        Receive<DmaCompleted>(OnCompleted);
        Receive<QuiesceDevices>(_ =>
        {
            _stopped = true;
            Timers.Cancel(TickTimer);
            _quiesceReplyTo = Sender;
            ReplyIfQuiet();
        });
    }

    public static Props Props(DeviceWriteWorkloadOptions options) => Runtime.Props.Create(() => new DeviceWriteWorkload(options));

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    private void OnTick()
    {
        if (_stopped) return;
        foreach (var device in _options.Devices)
        {
            var page = _random.Next(0, _options.Pages - _options.BurstPages + 1);
            var values = new ulong[_options.BurstPages];
            for (var i = 0; i < values.Length; i++) values[i] = (_options.Seed << 40) | ++_sequence;
            _inFlight++;
            device.Tell(new DmaWrite(_options.IovaBase + ((ulong)page << PageSize.BaseShift), values), Self);
        }
    }

    private void OnCompleted(DmaCompleted done)
    {
        _inFlight--;
        _bursts++;
        _pages += done.Pages;
        if (done.Errno != Errno.None) _faults++;
        ReplyIfQuiet();
    }

    private void ReplyIfQuiet()
    {
        if (_quiesceReplyTo is null || _inFlight > 0) return;
        _quiesceReplyTo.Tell(new DevicesQuiesced(_bursts, _pages, _faults), Self);
        _quiesceReplyTo = null;
    }
}
