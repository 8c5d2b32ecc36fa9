using IommuSim.Runtime.Configuration;
using Xunit;

namespace IommuSim.Runtime.Tests.Configuration;

/// <summary>Shorthands shared by the configuration tests; every source parsed here is named "test.conf".</summary>
internal static class Hocon
{
    public const string Origin = "test.conf";

    public static Config Parse(string text) => ConfigurationFactory.ParseString(text, Origin);

    /// <summary>Asserts that parsing fails with a syntax error and returns it.</summary>
    public static HoconParseException ParseError(string text) => Assert.Throws<HoconParseException>(() => Parse(text));

    /// <summary>Asserts that reading the configuration (which resolves it) fails with a plain ConfigException.</summary>
    public static ConfigException ResolveError(string text) =>
        Assert.Throws<ConfigException>(() => Parse(text).Root);

    /// <summary>Asserts an error message and its position exactly.</summary>
    public static void AssertError(ConfigException error, int line, int column, string reason)
    {
        Assert.Equal(reason, error.Reason);
        Assert.NotNull(error.Position);
        Assert.Equal(new ConfigPosition(Origin, line, column), error.Position);
        Assert.Equal($"{Origin}:{line}:{column}: {reason}", error.Message);
    }

    /// <summary>The resolved configuration as compact single-line JSON-like text, for whole-tree assertions.</summary>
    public static string Json(Config config) => Json(config.Root);

    public static string Json(ConfigValue value) => value switch
    {
        ConfigObject obj => "{" + string.Join(",", obj.Select(field => $"{field.Key}:{Json(field.Value)}")) + "}",
        ConfigArray array => "[" + string.Join(",", array.Select(Json)) + "]",
        ConfigString text => "\"" + text.Value + "\"",
        ConfigNumber number => number.Text,
        ConfigBoolean boolean => boolean.Value ? "true" : "false",
        _ => "null",
    };
}
