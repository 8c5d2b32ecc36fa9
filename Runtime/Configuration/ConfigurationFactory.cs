using System.Reflection;
using System.Text;

namespace IommuSim.Runtime.Configuration;

/// <summary>Entry points for reading HOCON configurations.</summary>
public static class ConfigurationFactory
{
    private const string DefaultResourceName = "akka.hocon";

    // Lazy<T> in ExecutionAndPublication mode runs the factory exactly once, even when several threads ask
    // for the defaults at the same time, and publishes the finished instance safely to all of them. Sharing
    // one instance is safe because Config is immutable (its own lazy resolution is guarded the same way).
    private static readonly Lazy<Config> DefaultConfig = new(
        () => FromResource(typeof(ConfigurationFactory).Assembly, DefaultResourceName, DefaultResourceName),
        LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Parses HOCON text. Relative includes are looked up in the current directory.</summary>
    /// <param name="originName">The name positions in error messages use for this text.</param>
    public static Config ParseString(string text, string originName = "<string>")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(originName);
        return new Config(HoconParser.Parse(text, originName, IncludeContext.ForString()));
    }

    /// <summary>Parses a HOCON file; positions use <paramref name="path"/> as given, includes are relative to its directory.</summary>
    public static Config ParseFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string fullPath;
        string text;
        try
        {
            fullPath = Path.GetFullPath(path);
            text = File.ReadAllText(fullPath, Encoding.UTF8);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ConfigException($"configuration file '{path}' not found", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ConfigException($"cannot read configuration file '{path}': {e.Message}", e);
        }

        return new Config(HoconParser.Parse(text, path, IncludeContext.ForFile(path, fullPath)));
    }

    /// <summary>Parses an embedded resource; its relative includes are other resources of the same assembly.</summary>
    public static Config FromResource(Assembly assembly, string resourceName, string originName)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentNullException.ThrowIfNull(resourceName);
        ArgumentNullException.ThrowIfNull(originName);
        string text = IncludeContext.ReadResourceText(assembly, resourceName);
        return new Config(HoconParser.Parse(text, originName, IncludeContext.ForResource(assembly, resourceName, originName)));
    }

    /// <summary>The engine defaults (akka.hocon embedded in this assembly), parsed once and shared.</summary>
    public static Config Default() => DefaultConfig.Value;

    /// <summary>The file at <paramref name="path"/> over the defaults, or just the defaults when no path is given.</summary>
    public static Config Load(string? path) => path is null ? Default() : ParseFile(path).WithFallback(Default());
}
