namespace IommuSim.Simulator.Scenarios.Topology;

/// <summary>
/// The kinds of named things of a machine that steps refer to. A topology section or a step that
/// creates one declares it under its kind; issue 4's sections add theirs (vm, ioas, tce-container, sva-bond).
/// </summary>
public static class EntityKinds
{
    public const string Unit = "unit";
    public const string Device = "device";
    public const string IommuDomain = "iommu-domain";
    public const string Process = "process";
    public const string Mirror = "mirror";
    public const string Vm = "vm";
    public const string TceGroup = "tce-group";
    public const string TceContainer = "tce-container";
}
