namespace IommuSim.Simulator.Bugs;

/// <summary>
/// One injectable bug: a protocol step turned off, to show that the oracle and the explorer catch
/// it. <see cref="DetectedBy"/> is the built-in scenario whose exploration finds it.
/// </summary>
/// <param name="Name">What <c>--bug</c> takes.</param>
/// <param name="Description">What is left out, and which kernel function it is left out of.</param>
/// <param name="DetectedBy">The built-in scenario that finds it (under <c>explore --strategy pct</c>).</param>
/// <param name="Apply">How it changes the machine's actor options.</param>
public sealed record Bug(string Name, string Description, string DetectedBy, Func<MachineOptions, MachineOptions> Apply);
