using System.Reflection;
using System.Text;

namespace IommuSim.Runtime.Configuration;

/// <summary>
/// Where the includes of one source are looked up: next to the file being parsed, next to the embedded
/// resource being parsed, or in the current directory for strings. Also carries the chain of sources
/// being included, to reject include cycles.
/// </summary>
internal sealed class IncludeContext
{
    private const int MaxDepth = 32;

    // Extension-less names load every existing variant, HOCON last so it takes precedence (HOCON.md).
    private static readonly string[] Extensions = [".json", ".conf", ".hocon"];

    private readonly string _directory;
    private readonly string _displayDirectory;
    private readonly Assembly? _assembly;
    private readonly string? _resourceDirectory;
    private readonly (string Identity, string Display)[] _chain;

    private IncludeContext(string directory, string displayDirectory, Assembly? assembly, string? resourceDirectory,
        (string Identity, string Display)[] chain)
    {
        _directory = directory;
        _displayDirectory = displayDirectory;
        _assembly = assembly;
        _resourceDirectory = resourceDirectory;
        _chain = chain;
    }

    public static IncludeContext ForString() => new(Environment.CurrentDirectory, string.Empty, null, null, []);

    public static IncludeContext ForFile(string displayPath, string fullPath) =>
        new(Path.GetDirectoryName(fullPath) ?? Environment.CurrentDirectory, Path.GetDirectoryName(displayPath) ?? string.Empty,
            null, null, [(fullPath, displayPath)]);

    public static IncludeContext ForResource(Assembly assembly, string resourceName, string originName) =>
        new(Environment.CurrentDirectory, string.Empty, assembly, ResourceDirectory(resourceName), [(ResourceIdentity(assembly, resourceName), originName)]);

    /// <summary>
    /// The sources an include statement stands for: none when an optional include is missing (HOCON.md says
    /// to ignore it silently), several for an extension-less name that exists with several extensions.
    /// </summary>
    public IReadOnlyList<IncludeSource> Resolve(IncludeKind kind, string name, bool required, ConfigPosition position)
    {
        if (kind == IncludeKind.Url || (kind == IncludeKind.Heuristic && name.Contains("://", StringComparison.Ordinal)))
        {
            if (!Uri.TryCreate(name, UriKind.Absolute, out var uri) || !uri.IsFile)
            {
                throw new ConfigException(position, $"cannot include '{name}': only files and embedded resources can be included, not URLs");
            }

            kind = IncludeKind.File;
            name = uri.LocalPath;
        }

        if (name.Length == 0)
        {
            throw new ConfigException(position, "include needs a non-empty name");
        }

        bool asResource = kind == IncludeKind.Classpath || (kind == IncludeKind.Heuristic && _assembly is not null);
        var sources = asResource ? FindResources(name, position) : FindFiles(name, position);
        if (sources.Count == 0 && kind == IncludeKind.Heuristic && !asResource)
        {
            // HOCON.md: a file include that finds nothing falls back to a resource of that name.
            sources = FindResources(name.TrimStart('/'), position);
        }

        if (sources.Count == 0 && required)
        {
            string where = asResource ? $"resource '{ResourceName(name)}'" : FullPath(name, position);
            throw new ConfigException(position, $"required include '{name}' not found (looked for {where})");
        }

        return sources;
    }

    private List<IncludeSource> FindFiles(string name, ConfigPosition position)
    {
        string fullPath = FullPath(name, position);
        string display = Path.IsPathRooted(name) ? name : Path.Combine(_displayDirectory, name);
        var sources = new List<IncludeSource>();
        if (File.Exists(fullPath))
        {
            sources.Add(ReadFile(fullPath, display, position));
        }
        else if (Path.GetExtension(fullPath).Length == 0)
        {
            foreach (string extension in Extensions)
            {
                if (File.Exists(fullPath + extension))
                {
                    sources.Add(ReadFile(fullPath + extension, display + extension, position));
                }
            }
        }

        return sources;
    }

    private string FullPath(string name, ConfigPosition position)
    {
        try
        {
            return Path.GetFullPath(Path.Combine(_directory, name));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new ConfigException(position, $"invalid include file name '{name}': {e.Message}", e);
        }
    }

    private IncludeSource ReadFile(string fullPath, string display, ConfigPosition position)
    {
        var context = Enter(fullPath, display, position, Path.GetDirectoryName(fullPath) ?? _directory,
            Path.GetDirectoryName(display) ?? string.Empty, null, null);
        try
        {
            return new IncludeSource(File.ReadAllText(fullPath, Encoding.UTF8), display, context);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(position, $"cannot read included file '{display}': {e.Message}", e);
        }
    }

    private List<IncludeSource> FindResources(string name, ConfigPosition position)
    {
        var assembly = _assembly ?? typeof(IncludeContext).Assembly;
        string resourceName = ResourceName(name);
        var sources = new List<IncludeSource>();
        if (assembly.GetManifestResourceInfo(resourceName) is not null)
        {
            sources.Add(ReadResource(assembly, resourceName, position));
        }
        else if (Path.GetExtension(resourceName).Length == 0)
        {
            foreach (string extension in Extensions)
            {
                if (assembly.GetManifestResourceInfo(resourceName + extension) is not null)
                {
                    sources.Add(ReadResource(assembly, resourceName + extension, position));
                }
            }
        }

        return sources;
    }

    // HOCON.md: a relative resource name is relative to the including resource's "directory"; '/' makes it absolute.
    private string ResourceName(string name) =>
        name.StartsWith('/') ? name[1..] : _resourceDirectory is null ? name : _resourceDirectory + "/" + name;

    private IncludeSource ReadResource(Assembly assembly, string resourceName, ConfigPosition position)
    {
        var context = Enter(ResourceIdentity(assembly, resourceName), resourceName, position, _directory, _displayDirectory,
            assembly, ResourceDirectory(resourceName));
        return new IncludeSource(ReadResourceText(assembly, resourceName), resourceName, context);
    }

    /// <summary>The text of an embedded resource, or a <see cref="ConfigException"/> naming it when it does not exist.</summary>
    public static string ReadResourceText(Assembly assembly, string resourceName)
    {
        using var stream = assembly.GetManifestResourceStream(resourceName)
            ?? throw new ConfigException($"resource '{resourceName}' not found in assembly {assembly.GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private IncludeContext Enter(string identity, string display, ConfigPosition position, string directory,
        string displayDirectory, Assembly? assembly, string? resourceDirectory)
    {
        if (Array.Exists(_chain, link => link.Identity == identity))
        {
            string cycle = string.Join(" -> ", _chain.Select(link => link.Display).Append(display));
            throw new ConfigException(position, $"include cycle: {cycle}");
        }

        if (_chain.Length >= MaxDepth)
        {
            throw new ConfigException(position, $"includes nest deeper than {MaxDepth} levels");
        }

        return new IncludeContext(directory, displayDirectory, assembly, resourceDirectory, [.. _chain, (identity, display)]);
    }

    private static string? ResourceDirectory(string resourceName)
    {
        int slash = resourceName.LastIndexOf('/');
        return slash < 0 ? null : resourceName[..slash];
    }

    private static string ResourceIdentity(Assembly assembly, string resourceName) => $"resource:{assembly.FullName}:{resourceName}";
}
