namespace IommuSim.Runtime.Configuration;

/// <summary>
/// A substitution that can only be resolved through itself. Internal so that optional substitutions can
/// treat it as "missing" (HOCON.md); callers only ever see it as a <see cref="ConfigException"/>.
/// </summary>
internal sealed class SubstitutionCycleException(int frame, ConfigPosition? position, string reason)
    : ConfigException(position, reason)
{
    /// <summary>The resolver frame where the cycle starts.</summary>
    public int Frame { get; } = frame;
}
