namespace IommuSim.Runtime.Configuration;

internal enum IncludeKind
{
    /// <summary><c>include "name"</c>: a file (or resource) next to the including source.</summary>
    Heuristic,
    File,
    Classpath,
    Url,
}
