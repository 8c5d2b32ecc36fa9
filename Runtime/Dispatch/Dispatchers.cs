using System.Collections.Concurrent;
using IommuSim.Runtime.Configuration;
using IommuSim.Runtime.Deterministic;

namespace IommuSim.Runtime.Dispatch;

/// <summary>
/// Dispatchers by id: the id is a configuration path (<c>akka.actor.default-dispatcher</c>, or a
/// short name looked up under <c>akka.actor</c>). When the default dispatcher is deterministic,
/// every actor runs on it whatever its Props say: determinism needs all actors on one thread.
/// </summary>
internal sealed class Dispatchers
{
    private readonly ActorSystem _system;
    private readonly Config _config;
    // Looked up from ActorOf on any thread; entries are created once and never replaced.
    private readonly ConcurrentDictionary<string, MessageDispatcher> _dispatchers = new(StringComparer.Ordinal);

    public Dispatchers(ActorSystem system, Config config)
    {
        _system = system;
        _config = config;
        DefaultDispatcher = Create(Props.DefaultDispatcherId);
        _dispatchers[Props.DefaultDispatcherId] = DefaultDispatcher;
        Deterministic = DefaultDispatcher as DeterministicDispatcher;
    }

    public MessageDispatcher DefaultDispatcher { get; }
    public DeterministicDispatcher? Deterministic { get; }

    public MessageDispatcher Lookup(string id)
    {
        if (Deterministic != null) return Deterministic;
        return _dispatchers.TryGetValue(id, out var d) ? d : _dispatchers.GetOrAdd(id, Create);
    }

    private MessageDispatcher Create(string id)
    {
        // A configuration without the default dispatcher (one that replaced akka.actor wholesale)
        // still gets a thread-pool default rather than an error.
        var path = id == Props.DefaultDispatcherId && !_config.HasPath(id) ? id : ResolvePath(_config, id, "dispatcher");
        var section = _config.GetConfig(path);
        var type = section.GetString("type", "threadpool");
        var throughput = section.GetInt("throughput", 100);
        return type switch
        {
            "threadpool" or "Dispatcher" => new ThreadPoolDispatcher(id, throughput, section.GetTimeSpan("throughput-deadline-time", TimeSpan.Zero)),
            "pinned" or "PinnedDispatcher" => new PinnedDispatcher(id, throughput),
            "deterministic" => new DeterministicDispatcher(id, _system, DeterministicSettings.FromConfig(section)),
            _ => throw new ConfigException(_config.PositionOf(path + ".type"), $"dispatcher '{id}': unknown type '{type}', expected threadpool, pinned or deterministic"),
        };
    }

    /// <summary>Finds the config section of an id, trying it as a full path and then under akka.actor.</summary>
    internal static string ResolvePath(Config config, string id, string what)
    {
        if (config.HasPath(id)) return id;
        var underActor = "akka.actor." + id;
        if (config.HasPath(underActor)) return underActor;
        throw new ConfigException($"No {what} configured for id '{id}' (looked for '{id}' and '{underActor}')");
    }

    public void Shutdown()
    {
        foreach (var d in _dispatchers.Values) d.Shutdown();
    }
}

/// <summary>Mailbox settings by id (a configuration path), cached.</summary>
internal sealed class Mailboxes(Config config)
{
    private readonly ConcurrentDictionary<string, MailboxSettings> _settings = new(StringComparer.Ordinal);

    public MailboxSettings Lookup(string id)
    {
        if (_settings.TryGetValue(id, out var s)) return s;
        return _settings.GetOrAdd(id, i =>
        {
            if (i == Props.DefaultMailboxId && !config.HasPath(i)) return MailboxSettings.Default;
            var path = Dispatchers.ResolvePath(config, i, "mailbox");
            return MailboxSettings.FromConfig(i, config.GetConfig(path));
        });
    }
}
