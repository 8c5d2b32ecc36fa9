namespace IommuSim.Runtime.Configuration;

/// <summary>
/// Typed getters with HOCON's automatic conversions: numbers and booleans read as strings, numeric strings
/// as numbers, "yes"/"no"/"on"/"off" as booleans. Null and objects/arrays never convert. A getter with a
/// default returns it when the path is missing or null; a value of the wrong type is always an error.
/// Messages name the path passed in (prefixed with the sub-config's own path, see <see cref="FullPath"/>).
/// </summary>
public sealed partial class Config
{
    public string GetString(string path) => ToString(FullPath(path), Require(path, "a string"));

    public string GetString(string path, string @default) => Optional(path) is { } value ? ToString(FullPath(path), value) : @default;

    public int GetInt(string path) => ToInt(FullPath(path), Require(path, "a number"));

    public int GetInt(string path, int @default) => Optional(path) is { } value ? ToInt(FullPath(path), value) : @default;

    public long GetLong(string path) => ToLong(FullPath(path), Require(path, "a number"));

    public long GetLong(string path, long @default) => Optional(path) is { } value ? ToLong(FullPath(path), value) : @default;

    public double GetDouble(string path) => ToDouble(FullPath(path), Require(path, "a number"));

    public double GetDouble(string path, double @default) => Optional(path) is { } value ? ToDouble(FullPath(path), value) : @default;

    /// <summary>true/false, or the strings yes/no/on/off.</summary>
    public bool GetBoolean(string path) => ToBoolean(FullPath(path), Require(path, "a boolean"));

    public bool GetBoolean(string path, bool @default) => Optional(path) is { } value ? ToBoolean(FullPath(path), value) : @default;

    private static string ToString(string path, ConfigValue value) => value switch
    {
        ConfigString text => text.Value,
        ConfigNumber or ConfigBoolean => HoconParser.TextOf(value),
        _ => throw WrongType(path, value, "a string"),
    };

    private static int ToInt(string path, ConfigValue value)
    {
        long number = ToLong(path, value);
        if (number is < int.MinValue or > int.MaxValue)
        {
            throw new ConfigException(value.Position, $"'{path}' value {number} is out of range for a 32-bit integer");
        }

        return (int)number;
    }

    private static long ToLong(string path, ConfigValue value)
    {
        var number = ToNumber(path, value);
        if (number.TryGetInt64(out long result))
        {
            return result;
        }

        string problem = Math.Floor(number.Value) == number.Value ? "is out of range for a 64-bit integer" : "is not a whole number";
        throw new ConfigException(value.Position, $"'{path}' value {number.Text} {problem}");
    }

    private static double ToDouble(string path, ConfigValue value) => ToNumber(path, value).Value;

    /// <summary>A number, or a string holding exactly one JSON number.</summary>
    private static ConfigNumber ToNumber(string path, ConfigValue value)
    {
        if (value is ConfigNumber number)
        {
            return number;
        }

        if (value is ConfigString text && NumberSyntax.IsNumber(text.Value) && ConfigNumber.TryCreate(text.Value, text.Position, out var parsed))
        {
            return parsed;
        }

        throw WrongType(path, value, "a number");
    }

    private static bool ToBoolean(string path, ConfigValue value) => value switch
    {
        ConfigBoolean boolean => boolean.Value,
        ConfigString { Value: "true" or "yes" or "on" } => true,
        ConfigString { Value: "false" or "no" or "off" } => false,
        _ => throw WrongType(path, value, "a boolean (true/false/yes/no/on/off)"),
    };
}
