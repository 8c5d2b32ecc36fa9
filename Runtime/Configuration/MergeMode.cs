namespace IommuSim.Runtime.Configuration;

internal enum MergeMode
{
    /// <summary>
    /// Duplicate keys while parsing: object nodes reachable from the existing side belong to the parse and
    /// are updated in place (copying would make long files quadratic); fields keep first-definition order.
    /// </summary>
    Parse,

    /// <summary>
    /// <see cref="Config.WithFallback"/>: both sides may be shared, so merged objects are new; fields follow
    /// the primary (newer) side's order, then fields only the fallback has.
    /// </summary>
    Fallback,
}
