using IommuSim.Runtime.Configuration;
using IommuSim.Runtime.Deterministic;
using IommuSim.Runtime.Dispatch;
using IommuSim.Runtime.Event;
using IommuSim.Runtime.Scheduling;

namespace IommuSim.Runtime;

/// <summary>
/// A hierarchy of actors with its configuration, dispatchers, scheduler, event stream and dead
/// letters. Top-level actors are children of the user guardian (<c>/user</c>).
/// </summary>
public sealed partial class ActorSystem : IActorRefFactory, IDisposable
{
    private readonly ActorCell _root;
    private readonly ActorCell _userGuardian;
    private readonly TaskCompletionSource _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ActorPath _tempPath;
    private long _uid;
    private long _tempId;
    private int _terminating;

    private ActorSystem(string name, Config config)
    {
        Name = name;
        Settings = new Settings(config);
        EventStream = new EventStream();
        var rootPath = ActorPath.Root(name);
        DeadLettersRef = new DeadLettersRef(this, rootPath.Child("deadLetters", NextUid()));
        _tempPath = rootPath.Child("temp", NextUid());
        Logging = new Logging(this, Settings.LogLevel);
        Log = Logging.For("ActorSystem(" + name + ")", null);
        if (Settings.StdoutLogLevel != LogLevel.Off)
        {
            var min = Settings.StdoutLogLevel;
            EventStream.Subscribe(typeof(LogEvent), e =>
            {
                if (((LogEvent)e).Level >= min) Console.Out.WriteLine(e.ToString());
            });
        }
        Mailboxes = new Mailboxes(config);
        Dispatchers = new Dispatchers(this, config);
        Scheduler = Dispatchers.Deterministic?.Clock ?? (IScheduler)new WallClockScheduler(name);

        var rootParent = new RootParentRef(this, rootPath.Child("bubble-walker", -1));
        var dispatcher = Dispatchers.DefaultDispatcher;
        var guardianProps = Props.Create(() => new GuardianActor()).WithSupervisorStrategy(Settings.GuardianStrategy);
        _root = new ActorCell(this, rootParent, Props.Create(() => new GuardianActor()).WithSupervisorStrategy(SupervisorStrategy.StoppingStrategy),
            dispatcher, dispatcher.CreateMailbox(MailboxSettings.Default), rootPath);
        dispatcher.Attach(_root);
        _root.SendSystemMessage(new Create());
        var user = (LocalActorRef)_root.ActorOf(guardianProps, "user");
        _userGuardian = user.Cell;
        _root.ActorOf(Props.Create(() => new GuardianActor()), "system");
    }

    /// <summary>Creates a system; <paramref name="config"/> is read over the embedded <c>akka.hocon</c> defaults.</summary>
    public static ActorSystem Create(string name, Config? config = null)
    {
        if (string.IsNullOrEmpty(name) || !char.IsAsciiLetterOrDigit(name[0]) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw new ArgumentException($"Invalid actor system name '{name}': use letters, digits, '-' and '_', starting with a letter or digit", nameof(name));
        var full = config == null ? ConfigurationFactory.Default() : config.WithFallback(ConfigurationFactory.Default());
        return new ActorSystem(name, full);
    }

    /// <summary>Creates a system with a configuration given as HOCON text over the defaults.</summary>
    public static ActorSystem Create(string name, string hocon) => Create(name, ConfigurationFactory.ParseString(hocon));

    public string Name { get; }
    public Settings Settings { get; }
    public IScheduler Scheduler { get; }
    public EventStream EventStream { get; }
    public IActorRef DeadLetters => DeadLettersRef;
    public ILoggingAdapter Log { get; }
    /// <summary>The deterministic dispatcher when the system runs on one (its default dispatcher is <c>type = deterministic</c>), else null.</summary>
    public DeterministicDispatcher? Deterministic => Dispatchers.Deterministic;
    public Task WhenTerminated => _terminated.Task;

    internal InternalActorRef DeadLettersRef { get; }
    internal Dispatchers Dispatchers { get; }
    internal Mailboxes Mailboxes { get; }
    internal Logging Logging { get; }

    public IActorRef ActorOf(Props props, string? name = null) => _userGuardian.ActorOf(props, name);

    /// <summary>Stops an actor (its children first); a no-op for one already stopped.</summary>
    public void Stop(IActorRef actor)
    {
        if (actor is InternalActorRef r) r.SendSystemMessage(new Terminate());
    }

    /// <summary>
    /// Stops every actor, then the dispatchers and the scheduler. On the deterministic dispatcher,
    /// called from outside the loop, it runs the loop until the system has terminated.
    /// </summary>
    public Task Terminate()
    {
        if (Interlocked.Exchange(ref _terminating, 1) == 0)
        {
            _root.SendSystemMessage(new Terminate());
            if (Deterministic is { } d && !_terminated.Task.IsCompleted)
            {
                try
                {
                    d.RunUntil(() => _terminated.Task.IsCompleted, Timeout.InfiniteTimeSpan);
                }
                catch (InvalidOperationException)
                {
                    // Called from inside the loop: the loop that is running will finish it.
                }
            }
        }
        return _terminated.Task;
    }

    public void Dispose()
    {
        var t = Terminate();
        if (Deterministic == null) t.Wait(TimeSpan.FromSeconds(10));
    }

    internal void OnRootTerminated()
    {
        Dispatchers.Shutdown();
        (Scheduler as IDisposable)?.Dispose();
        _terminated.TrySetResult();
    }

    internal long NextUid() => Interlocked.Increment(ref _uid);

    internal ActorPath TempPath() => _tempPath.Child("$" + Interlocked.Increment(ref _tempId), NextUid());

    private sealed class GuardianActor : ActorBase
    {
        protected override bool Receive(object message) => false;
    }

    public override string ToString() => $"akka://{Name}";
}
