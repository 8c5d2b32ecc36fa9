using IommuSim.Messages;
using IommuSim.Messages.Iommu;
using IommuSim.Messages.Iommufd;
using IommuSim.Runtime;

namespace IommuSim.Actors.Iommufd;

/// <summary>
/// The VMM's sequence around one migration (see <see cref="MigratingVm"/>): wait for each device
/// to be probed, attach it to the domain, attach the domain to the IOAS and map guest RAM, run the
/// migration driver, then (unless told not to) unmap everything and detach the domain. Each step is one request whose
/// reply starts the next; the first failure ends the session with its errno.
/// </summary>
public sealed class MigrationSession : ReceiveActor
{
    private readonly Queue<(IActorRef Target, object Request)> _setup = new();
    private readonly IActorRef _ioas;
    private readonly IActorRef _domain;
    private readonly IActorRef _driver;
    private readonly bool _tearDown;
    private IActorRef? _replyTo;
    private MigrationCompleted? _migration;
    private Action<IReply>? _next;

    public MigrationSession(string unit, IReadOnlyList<IActorRef> devices, IActorRef domain, IActorRef ioas, GuestMemory source, Iova iovaBase,
        IActorRef driver, bool tearDown = true)
    {
        _ioas = ioas;
        _domain = domain;
        _driver = driver;
        _tearDown = tearDown;
        // The device answers only once its unit probed it: then an attach cannot overtake the probe.
        foreach (var device in devices) _setup.Enqueue((device, new GetDeviceStats()));
        foreach (var device in devices) _setup.Enqueue((domain, new AttachDevice(device.Path.Name, unit)));
        _setup.Enqueue((ioas, new IoasAttachDomain(domain)));
        _setup.Enqueue((ioas, new IoasMap(source.UserBase, source.Bytes, IommuProt.Read | IommuProt.Write, iovaBase)));
        Receive<RunMigration>(_ =>
        {
            if (_replyTo is not null) return;
            _replyTo = Sender;
            SetUp();
        });
        Receive<IReply>(reply =>
        {
            var next = _next;
            _next = null;
            next?.Invoke(reply);
        });
    }

    public static Props Props(string unit, IReadOnlyList<IActorRef> devices, IActorRef domain, IActorRef ioas, GuestMemory source, Iova iovaBase,
        IActorRef driver, bool tearDown = true) =>
        Runtime.Props.Create(() => new MigrationSession(unit, devices, domain, ioas, source, iovaBase, driver, tearDown));

    private void Send(IActorRef target, object request, Action<IReply> then)
    {
        _next = then;
        target.Tell(request, Self);
    }

    private void SetUp()
    {
        if (!_setup.TryDequeue(out var step))
        {
            Send(_driver, new StartMigration(), reply =>
            {
                _migration = (MigrationCompleted)reply;
                if (_tearDown) TearDown();
                else _replyTo!.Tell(new MigrationSessionCompleted(Errno.None, _migration, Errno.None), Self);
            });
            return;
        }
        Send(step.Target, step.Request, reply =>
        {
            if (reply.Errno != Errno.None) _replyTo!.Tell(new MigrationSessionCompleted(reply.Errno, null, Errno.None), Self);
            else SetUp();
        });
    }

    private void TearDown() =>
        Send(_ioas, IoasUnmap.All, unmapped =>
            Send(_ioas, new IoasDetachDomain(_domain), detached =>
                _replyTo!.Tell(new MigrationSessionCompleted(Errno.None, _migration,
                    unmapped.Errno != Errno.None ? unmapped.Errno : detached.Errno), Self)));
}
