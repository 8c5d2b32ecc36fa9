namespace IommuSim.Runtime.Configuration;

/// <summary>Where a configuration value or a syntax error was found. Lines and columns are 1-based.</summary>
public sealed record ConfigPosition(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}
