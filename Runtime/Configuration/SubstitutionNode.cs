namespace IommuSim.Runtime.Configuration;

/// <summary>
/// <c>${path}</c> or <c>${?path}</c>. <see cref="Prefix"/> is the path at which the containing file was
/// included: the spec looks such substitutions up relative to the included file first, then from the root.
/// </summary>
internal sealed class SubstitutionNode(ConfigPosition position, string[] path, bool optional, string[] prefix) : Node(position)
{
    public string[] Path { get; } = path;

    public bool Optional { get; } = optional;

    public string[] Prefix { get; } = prefix;

    public override NodeShape Shape => NodeShape.Unresolved;

    /// <summary>The substitution as written, normalised: <c>${a.b}</c>, <c>${?a.b}</c>.</summary>
    public string Text => "${" + (Optional ? "?" : string.Empty) + ConfigPath.Render(Path) + "}";

    public new ConfigPosition Position => base.Position!;
}
