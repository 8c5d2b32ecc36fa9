namespace IommuSim.Runtime.Configuration;

/// <summary>The text of one included file or resource, the name used for it in positions, and where its own includes are looked up.</summary>
internal sealed record IncludeSource(string Text, string Origin, IncludeContext Context);
