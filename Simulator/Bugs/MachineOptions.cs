using IommuSim.Actors.Hmm;
using IommuSim.Actors.Iommu;
using IommuSim.Actors.Mm;
using IommuSim.Actors.Sva;
using IommuSim.Actors.Tce;
using IommuSim.Hardware.Iommu;

namespace IommuSim.Simulator.Bugs;

/// <summary>
/// How a run changes the options of the actors a scenario's machine is built from: each field
/// maps the options the scenario file gives an actor to the ones it is created with. Identity in
/// a correct run; an injected bug (<see cref="BugCatalogue"/>) turns one protocol step off.
/// Issue 4's actors add a field for their options (SVA, TCE, IOAS) next to these.
/// </summary>
public sealed record MachineOptions
{
    public static readonly MachineOptions Correct = new();

    public Func<MmOptions, MmOptions> Mm { get; init; } = static o => o;

    public Func<MirrorOptions, MirrorOptions> Mirror { get; init; } = static o => o;

    public Func<HmmDomainOptions, HmmDomainOptions> HmmDomain { get; init; } = static o => o;

    public Func<IommuDomainOptions, IommuDomainOptions> IommuDomain { get; init; } = static o => o;

    public Func<IommuUnitConfig, IommuUnitConfig> Unit { get; init; } = static o => o;

    /// <summary>The SVA core's options (the page-request options are the units', in <see cref="Unit"/>).</summary>
    public Func<SvaOptions, SvaOptions> Sva { get; init; } = static o => o;
    public Func<TceContainerOptions, TceContainerOptions> TceContainer { get; init; } = static o => o;
}

/// <summary>Composition of option transforms: <c>f.Then(g)</c> applies f, then g.</summary>
public static class OptionTransforms
{
    public static Func<T, T> Then<T>(this Func<T, T> first, Func<T, T> next) => o => next(first(o));
}
