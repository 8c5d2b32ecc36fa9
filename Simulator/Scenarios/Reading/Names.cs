namespace IommuSim.Simulator.Scenarios.Reading;

/// <summary>Names of machine entities: they become actor names, so letters, digits, '-' and '_', starting with a letter.</summary>
public static class Names
{
    public static bool IsValid(string name) =>
        name.Length > 0 && char.IsAsciiLetter(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
