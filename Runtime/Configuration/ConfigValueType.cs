namespace IommuSim.Runtime.Configuration;

/// <summary>The JSON type of a resolved configuration value.</summary>
public enum ConfigValueType
{
    Object,
    Array,
    String,
    Number,
    Boolean,
    Null,
}
