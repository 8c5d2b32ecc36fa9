namespace IommuSim.Runtime.Configuration;

/// <summary>
/// A value as parsed, before substitutions are resolved. Nodes are built by the parser, which may still
/// modify the object nodes it owns; once a parse returns they are never modified again, so trees can share
/// nodes (<see cref="Config.WithFallback"/> builds a new spine and shares the rest).
/// </summary>
internal abstract class Node(ConfigPosition? position)
{
    public ConfigPosition? Position { get; protected set; } = position;

    /// <summary>What merging can tell about the value without resolving substitutions.</summary>
    public abstract NodeShape Shape { get; }

    /// <summary>True when nothing below this value in a merge can show through it.</summary>
    public bool HidesFallbacks => Shape == NodeShape.NonObject || this is ObjectNode { IgnoresFallbacks: true }
        || this is ResolvedNode { Value: ConfigObject { IgnoresFallbacks: true } };
}

internal enum NodeShape
{
    /// <summary>Merges field by field with an object below it.</summary>
    Object,

    /// <summary>Hides whatever is below it.</summary>
    NonObject,

    /// <summary>Depends on substitutions: only known after resolution.</summary>
    Unresolved,
}
