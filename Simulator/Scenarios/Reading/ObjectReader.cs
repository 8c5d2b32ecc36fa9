using IommuSim.Runtime.Configuration;

namespace IommuSim.Simulator.Scenarios.Reading;

/// <summary>
/// Reads one object of a scenario file (the machine, a device, a step, an expect block) and
/// records every problem in <see cref="Diagnostics"/> with the position of the offending value,
/// instead of stopping at the first: `iommusim check` lists them all. Each getter marks its key
/// as known; <see cref="CheckUnknownKeys"/> then names every key nobody asked for (a typo).
/// </summary>
public sealed class ObjectReader
{
    private readonly Config _config;
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    public ObjectReader(Config config, string what, Diagnostics diagnostics)
    {
        _config = config;
        What = what;
        Diagnostics = diagnostics;
    }

    /// <summary>How messages name this object: "step munmap", "device gpu0", ...</summary>
    public string What { get; }

    public Diagnostics Diagnostics { get; }

    /// <summary>The object as a config (to read it again under another name).</summary>
    public Config Config => _config;

    /// <summary>Where the object starts.</summary>
    public ConfigPosition? Position => _config.Root.Position;

    public IReadOnlyList<string> Keys => _config.Root.Keys;

    /// <summary>Whether the key is set (and not null); marks it as known.</summary>
    public bool Has(string key)
    {
        _known.Add(key);
        return _config.Root.TryGetValue(key, out var v) && v is not ConfigNull;
    }

    /// <summary>The raw value of a key (null when missing); marks it as known.</summary>
    public ConfigValue? Value(string key)
    {
        _known.Add(key);
        return _config.Root.TryGetValue(key, out var v) && v is not ConfigNull ? v : null;
    }

    public ConfigPosition? PositionOf(string key) => _config.Root.TryGetValue(key, out var v) ? v.Position : Position;

    public void Error(string key, string message) => Diagnostics.Add(PositionOf(key), $"{What}: {message}");

    public void Error(ConfigPosition? position, string message) => Diagnostics.Add(position ?? Position, $"{What}: {message}");

    /// <summary>A key that must be present: reports "missing" at the object's position when it is not.</summary>
    public bool Require(string key, string expected)
    {
        if (Has(key)) return true;
        Diagnostics.Add(Position, $"{What}: missing '{key}' ({expected})");
        return false;
    }

    public string? String(string key, bool required = false)
    {
        var v = Value(key);
        if (v is null)
        {
            if (required) Require(key, "a name or text");
            return null;
        }
        switch (v)
        {
            case ConfigString s: return s.Value;
            case ConfigNumber n: return n.Text;
            case ConfigBoolean b: return b.Value ? "true" : "false";
            default:
                Error(key, $"'{key}' must be a name or text, not {Describe(v)}");
                return null;
        }
    }

    /// <summary>One of <paramref name="choices"/> (reported with the list when it is not).</summary>
    public string? Choice(string key, IReadOnlyCollection<string> choices, bool required = false)
    {
        var text = String(key, required);
        if (text is null) return null;
        if (choices.Contains(text)) return text;
        Error(key, $"'{key}' is '{text}', expected one of: {string.Join(", ", choices)}");
        return null;
    }

    public bool? Bool(string key)
    {
        var v = Value(key);
        switch (v)
        {
            case null: return null;
            case ConfigBoolean b: return b.Value;
            case ConfigString { Value: "on" or "yes" or "true" }: return true;
            case ConfigString { Value: "off" or "no" or "false" }: return false;
            default:
                Error(key, $"'{key}' must be a boolean (true/false, on/off), not {Describe(v)}");
                return null;
        }
    }

    public long? Int(string key, long min = long.MinValue, long max = long.MaxValue)
    {
        var v = Value(key);
        if (v is null) return null;
        if (v is ConfigNumber n && n.TryGetInt64(out var value) || v is ConfigString s && long.TryParse(s.Value, out value))
        {
            if (value >= min && value <= max) return value;
            Error(key, $"'{key}' is {value}, expected {Range(min, max)}");
            return null;
        }
        Error(key, $"'{key}' must be a whole number, not {Describe(v)}");
        return null;
    }

    public TimeSpan? Duration(string key)
    {
        if (Value(key) is null) return null;
        try
        {
            var d = _config.GetTimeSpan(Quote(key));
            if (d >= TimeSpan.Zero) return d;
            Error(key, $"'{key}' must not be negative");
        }
        catch (ConfigException e)
        {
            Diagnostics.Add(e.Position, $"{What}: {e.Reason}");
        }
        return null;
    }

    /// <summary>A size in bytes: 4096, 4KiB, 2MiB, "64 pages".</summary>
    public ulong? Size(string key)
    {
        var v = Value(key);
        if (v is null) return null;
        var text = v switch
        {
            ConfigNumber n => n.Text,
            ConfigString s => s.Value,
            _ => null,
        };
        if (text is not null && Expressions.ExprParser.TryParseSize(text, out var bytes)) return bytes;
        Error(key, $"'{key}' must be a size such as 4096, 64KiB, 2MiB or \"16 pages\", not {Describe(v)}");
        return null;
    }

    /// <summary>A list of names: [a, b] (a single name is a list of one).</summary>
    public IReadOnlyList<(string Name, ConfigPosition? Position)> Names(string key)
    {
        var v = Value(key);
        switch (v)
        {
            case null: return [];
            case ConfigString s: return [(s.Value, s.Position)];
            case ConfigArray a:
                var names = new List<(string, ConfigPosition?)>();
                foreach (var item in a)
                {
                    if (item is ConfigString str) names.Add((str.Value, str.Position));
                    else Error(item.Position, $"'{key}' must list names, not {Describe(item)}");
                }
                return names;
            default:
                Error(key, $"'{key}' must be a list of names, not {Describe(v)}");
                return [];
        }
    }

    public ObjectReader? Object(string key, string what)
    {
        var v = Value(key);
        if (v is null) return null;
        if (v is ConfigObject) return new ObjectReader(_config.GetConfig(Quote(key)), what, Diagnostics);
        Error(key, $"'{key}' must be an object {{ ... }}, not {Describe(v)}");
        return null;
    }

    /// <summary>The entries of an object whose keys are names (units, devices, ...), each an object.</summary>
    public IReadOnlyList<(string Name, ObjectReader Reader)> NamedObjects(string key, string kind)
    {
        var section = Object(key, key);
        if (section is null) return [];
        var result = new List<(string, ObjectReader)>();
        foreach (var name in section.Keys)
        {
            var entry = section.Object(name, $"{kind} {name}");
            if (entry is not null) result.Add((name, entry));
        }
        return result;
    }

    /// <summary>An array of objects (each a reader named <paramref name="what"/>[i]).</summary>
    public IReadOnlyList<ObjectReader> ObjectList(string key, string what)
    {
        var v = Value(key);
        if (v is null) return [];
        if (v is not ConfigArray array)
        {
            Error(key, $"'{key}' must be a list [ {{ ... }}, ... ], not {Describe(v)}");
            return [];
        }
        var list = _config.GetConfigList(Quote(key));
        var result = new List<ObjectReader>();
        for (var i = 0; i < array.Count; i++)
        {
            if (array[i] is ConfigObject) result.Add(new ObjectReader(list[i], $"{what}[{i}]", Diagnostics));
            else Error(array[i].Position, $"'{key}[{i}]' must be an object {{ ... }}, not {Describe(array[i])}");
        }
        return result;
    }

    /// <summary>Reports every key that no getter asked for, with the keys this object accepts.</summary>
    public void CheckUnknownKeys()
    {
        foreach (var key in Keys)
        {
            if (_known.Contains(key)) continue;
            var known = _known.Order(StringComparer.Ordinal).ToList();
            Error(key, known.Count == 0
                ? $"unknown key '{key}'"
                : $"unknown key '{key}'; expected one of: {string.Join(", ", known)}");
        }
    }

    /// <summary>Marks keys as known without reading them (read elsewhere, or reserved).</summary>
    public void Allow(params string[] keys)
    {
        foreach (var k in keys) _known.Add(k);
    }

    public static string Describe(ConfigValue v) => v switch
    {
        ConfigObject => "an object",
        ConfigArray => "a list",
        ConfigString s => $"\"{s.Value}\"",
        ConfigNumber n => n.Text,
        ConfigBoolean b => b.Value ? "true" : "false",
        _ => "null",
    };

    private static string Range(long min, long max) => (min, max) switch
    {
        (long.MinValue, long.MaxValue) => "a whole number",
        (_, long.MaxValue) => $"at least {min}",
        (long.MinValue, _) => $"at most {max}",
        _ => $"between {min} and {max}",
    };

    /// <summary>Keys are quoted so that a name such as "smmu.0" is one key, not a path.</summary>
    public static string Quote(string key) => "\"" + key.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
