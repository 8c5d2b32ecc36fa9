using IommuSim.Messages;
using IommuSim.Messages.Iommufd;
using IommuSim.Messages.Trace;
using IommuSim.Runtime;

namespace IommuSim.Actors.Iommufd;

/// <summary>
/// How a <see cref="LiveMigrationDriver"/> migrates: the IOAS and the domains to track, the
/// source guest memory (mapped in the IOAS whole at <paramref name="IovaBase"/>) and the
/// destination of the same size, the device workload to quiesce, and the costs that pace it in
/// the system's time (virtual on the deterministic dispatcher).
/// </summary>
public sealed record LiveMigrationOptions(
    IActorRef Ioas,
    IReadOnlyList<IActorRef> Domains,
    GuestMemory Source,
    GuestMemory Destination,
    Iova IovaBase,
    IActorRef Workload)
{
    /// <summary>A read that finds at most this many dirty pages ends the live rounds.</summary>
    public long ThresholdPages { get; init; } = 256;

    /// <summary>Live rounds after round 0 before the driver stops the devices anyway (not converged).</summary>
    public int MaxRounds { get; init; } = 30;

    /// <summary>Pages copied per step; the next step comes after their copy time.</summary>
    public int CopyBatchPages { get; init; } = 4096;

    /// <summary>Copy time per 4 KiB page: 400 ns is about 10 GB/s.</summary>
    public double CopyNanosecondsPerPage { get; init; } = 400;

    /// <summary>The time a read-and-clear takes per 4 KiB page of IOVA it walks.</summary>
    public double ScanNanosecondsPerPage { get; init; } = 1;
}

/// <summary>
/// A VMM migrating a VM with passthrough devices over iommufd dirty tracking (the seed's use
/// case): enable tracking on every domain, copy all of guest RAM while the devices keep writing,
/// then read-and-clear (every domain at once) and copy the dirty pages, round after round, until a
/// read finds the dirty set under the threshold; then quiesce the devices, read once more and
/// copy what is left (the downtime), switch tracking off, and compare destination with source.
/// </summary>
/// <remarks>
/// The driver reads and writes the guests' frames in the thread-safe PhysicalMemory while the
/// devices write the source, as a VMM copies guest RAM while the VM runs: a page copied before a
/// device writes it again is dirty in the next read, so only the final copy must be exact. One
/// request or timer is awaited at a time (<see cref="_next"/>); time comes from the system's
/// scheduler, so a deterministic run replays exactly.
/// </remarks>
public sealed class LiveMigrationDriver : ReceiveActor
{
    private const string StepTimer = "step";

    private readonly LiveMigrationOptions _options;
    private readonly List<MigrationRound> _rounds = [];
    private Action<object>? _next;
    private IActorRef? _replyTo;
    private TimeSpan _start;
    private TimeSpan _downtimeStart;
    private long _pagesCopied;
    private long _finalDirty;
    private bool _converged;

    public LiveMigrationDriver(LiveMigrationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Source.PageCount != options.Destination.PageCount)
            throw new ArgumentException("source and destination memory differ in size", nameof(options));
        _options = options;
        Receive<StartMigration>(_ => OnStart());
        Receive<Done>(Continue);
        Receive<IoasDirtyBitmap>(Continue);
        Receive<DevicesQuiesced>(Continue);
        Receive<Step>(Continue);
    }

    public static Props Props(LiveMigrationOptions options) => Runtime.Props.Create(() => new LiveMigrationDriver(options));

    /// <summary>The timer message that ends a modelled delay (a copy batch, a scan).</summary>
    private sealed class Step
    {
        public static readonly Step Instance = new();
    }

    private TimeSpan Now => Context.System.Scheduler.Now;

    private int Pages => _options.Source.PageCount;

    private void Continue(object message)
    {
        var next = _next;
        _next = null;
        next?.Invoke(message);
    }

    private void Await(Action<object> next) => _next = next;

    private void After(double nanoseconds, Action then)
    {
        Await(_ => then());
        Timers.StartSingleTimer(StepTimer, Step.Instance, TimeSpan.FromTicks(Math.Max(1, (long)Math.Ceiling(nanoseconds / 100))));
    }

    private void OnStart()
    {
        if (_replyTo is not null) return;
        _replyTo = Sender;
        _start = Now;
        SetTracking(0, enable: true, () =>
        {
            _options.Workload.Tell(new StartDeviceWrites(), Self);
            Copy(round: 0, dirty: Pages, [.. Enumerable.Range(0, Pages)], ReadDirty);
        });
    }

    /// <summary>IOMMU_HWPT_SET_DIRTY_TRACKING on each domain in turn.</summary>
    private void SetTracking(int index, bool enable, Action then)
    {
        if (index == _options.Domains.Count)
        {
            then();
            return;
        }
        _options.Ioas.Tell(new IoasSetDirtyTracking(_options.Domains[index], enable), Self);
        Await(reply =>
        {
            if (reply is Done { Errno: not Errno.None } failed) Fail(failed.Errno);
            else SetTracking(index + 1, enable, then);
        });
    }

    /// <summary>Copies <paramref name="pages"/> batch by batch, each followed by its copy time, as live round <paramref name="round"/> (or the stop-and-copy when negative).</summary>
    private void Copy(int round, long dirty, int[] pages, Action then)
    {
        var started = Now;
        var position = 0;
        void Batch()
        {
            if (position == pages.Length)
            {
                if (round >= 0)
                {
                    var done = new MigrationRound(round, dirty, pages.Length, started, Now - started);
                    _rounds.Add(done);
                    Publish(() => new MigrationRoundCompleted(Self, done.Round, done.DirtyPages, done.PagesCopied, done.Start, done.Duration));
                }
                then();
                return;
            }
            var count = Math.Min(_options.CopyBatchPages, pages.Length - position);
            for (var i = 0; i < count; i++)
            {
                var page = pages[position + i];
                var error = _options.Source.Memory.CopyPage(_options.Destination.PageAt(page), _options.Source.PageAt(page));
                if (error != Errno.None) throw new InvalidOperationException($"copying guest page {page} failed: {error}");
            }
            position += count;
            _pagesCopied += count;
            After(count * _options.CopyNanosecondsPerPage, Batch);
        }
        Batch();
    }

    /// <summary>IOMMU_HWPT_GET_DIRTY_BITMAP over all of guest memory, every domain, then its scan time.</summary>
    private void Read(Action<int[]> then)
    {
        var bytes = (ulong)Pages << PageSize.BaseShift;
        _options.Ioas.Tell(new IoasGetDirtyBitmap(null, _options.IovaBase, bytes, PageSize.Size4K.Bytes), Self);
        Await(reply =>
        {
            var bitmap = (IoasDirtyBitmap)reply;
            if (bitmap.Errno != Errno.None)
            {
                Fail(bitmap.Errno);
                return;
            }
            var dirty = bitmap.SetBits().Select(b => (int)b).ToArray();
            After(Pages * _options.ScanNanosecondsPerPage, () => then(dirty));
        });
    }

    private void ReadDirty() => Read(dirty =>
    {
        if (dirty.Length <= _options.ThresholdPages)
        {
            _converged = true;
            StopAndCopy(dirty);
        }
        else if (_rounds.Count > _options.MaxRounds)
        {
            StopAndCopy(dirty);
        }
        else
        {
            Copy(_rounds.Count, dirty.Length, dirty, ReadDirty);
        }
    });

    /// <summary>Quiesce the devices, read what they dirtied since the last read, copy it with the last read's set, finish.</summary>
    private void StopAndCopy(int[] lastDirty)
    {
        _downtimeStart = Now;
        _options.Workload.Tell(new QuiesceDevices(), Self);
        Await(_ => Read(final =>
        {
            var pages = lastDirty.Union(final).Order().ToArray();
            _finalDirty = pages.Length;
            Copy(round: -1, pages.Length, pages, () => SetTracking(0, enable: false, Finish));
        }));
    }

    private void Finish()
    {
        long mismatched = 0;
        for (var page = 0; page < Pages; page++)
            if (_options.Source.Read(page) != _options.Destination.Read(page)) mismatched++;
        var end = Now;
        Report(new MigrationCompleted(Errno.None, [.. _rounds], _converged, end - _start, end - _downtimeStart, _finalDirty, _pagesCopied, mismatched));
    }

    private void Fail(Errno errno)
    {
        _options.Workload.Tell(new QuiesceDevices(), Self);
        Report(new MigrationCompleted(errno, [.. _rounds], false, Now - _start, TimeSpan.Zero, 0, _pagesCopied, -1));
    }

    private void Report(MigrationCompleted completed)
    {
        Publish(() => new MigrationFinished(Self, completed.Errno, completed.Converged, completed.Rounds.Count, completed.Elapsed, completed.Downtime,
            completed.FinalDirtyPages, completed.PagesCopied, completed.MismatchedPages));
        _replyTo!.Tell(completed, Self);
    }

    /// <summary>Publishes a trace event, built only when someone listens (a benchmark run has no listener).</summary>
    private void Publish<T>(Func<T> traceEvent) where T : ITraceEvent
    {
        var events = Context.System.EventStream;
        if (events.HasSubscribers(typeof(T))) events.Publish(traceEvent());
    }
}
