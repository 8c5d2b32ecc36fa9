using IommuSim.Runtime.Configuration;
using Xunit;
using static IommuSim.Runtime.Tests.Configuration.Hocon;

namespace IommuSim.Runtime.Tests.Configuration;

public class GetterTests
{
    private static readonly Config Sample = Parse("""
        a {
          b = abc
          n = 42
          big = 3000000000
          frac = 1.5
          whole = 2e3
          str-num = "17"
          t = true
          yes = yes
          off = off
          nothing = null
          obj { x = 1 }
          list = [1, 2, 3]
        }
        """);

    [Fact]
    public void StringsConvertFromNumbersAndBooleans()
    {
        Assert.Equal("abc", Sample.GetString("a.b"));
        Assert.Equal("42", Sample.GetString("a.n"));
        Assert.Equal("2e3", Sample.GetString("a.whole"));
        Assert.Equal("true", Sample.GetString("a.t"));
    }

    [Fact]
    public void NumbersConvertFromNumericStrings()
    {
        Assert.Equal(17, Sample.GetInt("a.str-num"));
        Assert.Equal(17L, Sample.GetLong("a.str-num"));
        Assert.Equal(17.0, Sample.GetDouble("a.str-num"));
        Assert.Equal(1.5, Sample.GetDouble("a.frac"));
        Assert.Equal(2000, Sample.GetInt("a.whole"));
        Assert.Equal(3_000_000_000L, Sample.GetLong("a.big"));
    }

    [Fact]
    public void BooleansAcceptTheSixSpellings()
    {
        var config = Parse("a = yes\nb = no\nc = on\nd = off\ne = \"true\"\nf = false");
        Assert.Equal([true, false, true, false, true, false], "abcdef".Select(key => config.GetBoolean(key.ToString())));
    }

    [Fact]
    public void WrongTypesAreErrorsWithTheValuesPosition()
    {
        AssertError(Assert.Throws<ConfigException>(() => Sample.GetInt("a.b")), 2, 7, "'a.b' has type string \"abc\", expected a number");
        AssertError(Assert.Throws<ConfigException>(() => Sample.GetDouble("a.t")), 8, 7, "'a.t' has type boolean true, expected a number");
        AssertError(Assert.Throws<ConfigException>(() => Sample.GetString("a.obj")), 12, 7, "'a.obj' has type object, expected a string");
        AssertError(Assert.Throws<ConfigException>(() => Sample.GetString("a.list")), 13, 10, "'a.list' has type array, expected a string");
        AssertError(Assert.Throws<ConfigException>(() => Sample.GetString("a.nothing")), 11, 13, "'a.nothing' has type null, expected a string");
        AssertError(Assert.Throws<ConfigException>(() => Sample.GetBoolean("a.n")), 3, 7,
            "'a.n' has type number 42, expected a boolean (true/false/yes/no/on/off)");
        AssertError(Assert.Throws<ConfigException>(() => Sample.GetConfig("a.n")), 3, 7, "'a.n' has type number 42, expected an object");
    }

    [Fact]
    public void IntegersMustBeWholeAndInRange()
    {
        AssertError(Assert.Throws<ConfigException>(() => Sample.GetInt("a.big")), 4, 9, "'a.big' value 3000000000 is out of range for a 32-bit integer");
        AssertError(Assert.Throws<ConfigException>(() => Sample.GetInt("a.frac")), 5, 10, "'a.frac' value 1.5 is not a whole number");
        AssertError(Assert.Throws<ConfigException>(() => Parse("x = 1e30").GetLong("x")), 1, 5, "'x' value 1e30 is out of range for a 64-bit integer");
        AssertError(Assert.Throws<ConfigException>(() => Parse("x = 99999999999999999999").GetLong("x")), 1, 5,
            "'x' value 99999999999999999999 is out of range for a 64-bit integer");
        Assert.Equal(int.MinValue, Parse("x = -2147483648").GetInt("x"));
        Assert.Equal(long.MaxValue, Parse("x = 9223372036854775807").GetLong("x"));
    }

    [Fact]
    public void MissingPathWithoutDefaultIsAnError()
    {
        var error = Assert.Throws<ConfigException>(() => Sample.GetString("a.zzz"));
        Assert.Equal("No configuration setting found for key 'a.zzz'", error.Message);
        Assert.Null(error.Position);
        Assert.Equal("No configuration setting found for key 'nope.x'", Assert.Throws<ConfigException>(() => Sample.GetInt("nope.x")).Message);
    }

    [Fact]
    public void DefaultsApplyToMissingAndNullValues()
    {
        Assert.Equal("d", Sample.GetString("a.zzz", "d"));
        Assert.Equal("d", Sample.GetString("a.nothing", "d"));
        Assert.Equal(5, Sample.GetInt("a.zzz", 5));
        Assert.Equal(5L, Sample.GetLong("x.y.z", 5L));
        Assert.Equal(2.5, Sample.GetDouble("a.zzz", 2.5));
        Assert.True(Sample.GetBoolean("a.zzz", true));
        Assert.Equal(42, Sample.GetInt("a.n", 5));
        Assert.False(Sample.GetBoolean("a.off", true));
    }

    [Fact]
    public void DefaultsDoNotHideWrongTypes()
    {
        Assert.Throws<ConfigException>(() => Sample.GetInt("a.b", 5));
        Assert.Throws<ConfigException>(() => Sample.GetBoolean("a.b", true));
    }

    [Fact]
    public void PathThroughANonObjectIsATypeError()
    {
        AssertError(Assert.Throws<ConfigException>(() => Sample.GetString("a.n.x")), 3, 7,
            "'a.n' has type number 42, expected an object (looking up 'a.n.x')");
        Assert.False(Sample.HasPath("a.n.x"));
        Assert.Null(Sample.GetValue("a.n.x"));
    }

    [Fact]
    public void HasPathIsFalseForMissingAndNull()
    {
        Assert.True(Sample.HasPath("a"));
        Assert.True(Sample.HasPath("a.obj.x"));
        Assert.False(Sample.HasPath("a.nothing"));
        Assert.False(Sample.HasPath("a.missing"));
        Assert.IsType<ConfigNull>(Sample.GetValue("a.nothing"));
    }

    [Fact]
    public void InvalidPathsAreErrors()
    {
        Assert.Equal("invalid path 'a..b': empty path element (quote it as \"\" if an empty key is meant)",
            Assert.Throws<ConfigException>(() => Sample.GetString("a..b")).Message);
        Assert.Throws<ConfigException>(() => Sample.HasPath(".a"));
        Assert.Throws<ConfigException>(() => Sample.HasPath("a."));
        Assert.Throws<ConfigException>(() => Sample.HasPath(""));
        Assert.Throws<ConfigException>(() => Sample.HasPath("a.\"unterminated"));
    }

    [Fact]
    public void GetConfigReturnsTheSubObject()
    {
        var sub = Sample.GetConfig("a.obj");
        Assert.Equal(1, sub.GetInt("x"));
        Assert.Equal(["x"], sub.Keys);
        Assert.Equal(new ConfigPosition(Origin, 12, 13), sub.PositionOf("x"));
        Assert.Same(Config.Empty, Sample.GetConfig("a.missing"));
        Assert.Same(Config.Empty, Sample.GetConfig("a.nothing"));
        Assert.True(Config.Empty.IsEmpty);
        Assert.Empty(Config.Empty.Keys);
    }

    [Fact]
    public void SubConfigMessagesNameTheFullPath()
    {
        var actor = Sample.GetConfig("a").GetConfig("obj");
        Assert.Equal("No configuration setting found for key 'a.obj.zz'", Assert.Throws<ConfigException>(() => actor.GetString("zz")).Message);
        AssertError(Assert.Throws<ConfigException>(() => Sample.GetConfig("a").GetBoolean("b")), 2, 7,
            "'a.b' has type string \"abc\", expected a boolean (true/false/yes/no/on/off)");
        var items = Parse("devices = [{ id = 1 }, { id = x }]").GetConfigList("devices");
        AssertError(Assert.Throws<ConfigException>(() => items[1].GetInt("id")), 1, 31, "'devices[1].id' has type string \"x\", expected a number");
        AssertError(Assert.Throws<ConfigException>(() => Parse("t { u = 5s }").GetConfig("t").GetTimeSpan("u.v")), 1, 9,
            "'t.u' has type string \"5s\", expected an object (looking up 't.u.v')");
    }

    [Fact]
    public void ListGetters()
    {
        var config = Parse("s = [a, 1, true]\ni = [1, \"2\", 3]\nl = [9000000000]\nc = [{ x = 1 }, { x = 2 }]\ne = []");
        Assert.Equal(["a", "1", "true"], config.GetStringList("s"));
        Assert.Equal([1, 2, 3], config.GetIntList("i"));
        Assert.Equal([9_000_000_000L], config.GetLongList("l"));
        Assert.Equal([1, 2], config.GetConfigList("c").Select(item => item.GetInt("x")));
        Assert.Empty(config.GetStringList("e"));
    }

    [Fact]
    public void ListElementErrorsNameTheElement()
    {
        var config = Parse("i = [1, x, 3]\nc = [{}, 5]\nn = 5");
        AssertError(Assert.Throws<ConfigException>(() => config.GetIntList("i")), 1, 9, "'i[1]' has type string \"x\", expected a number");
        AssertError(Assert.Throws<ConfigException>(() => config.GetConfigList("c")), 2, 10, "'c[1]' has type number 5, expected an object");
        AssertError(Assert.Throws<ConfigException>(() => config.GetStringList("n")), 3, 5, "'n' has type number 5, expected an array");
        Assert.Equal("No configuration setting found for key 'zz'", Assert.Throws<ConfigException>(() => config.GetLongList("zz")).Message);
    }

    [Fact]
    public void NumericallyIndexedObjectsReadAsLists()
    {
        var config = Parse("foo.0 = a\nfoo.2 = c\nfoo.1 = b\nfoo.x = ignored\nbar { y = 1 }");
        Assert.Equal(["a", "b", "c"], config.GetStringList("foo"));
        Assert.Throws<ConfigException>(() => config.GetStringList("bar"));
    }

    [Fact]
    public void RootAndValuesAreExposed()
    {
        var root = Sample.Root;
        var a = Assert.IsType<ConfigObject>(root["a"]);
        Assert.Equal(["b", "n", "big", "frac", "whole", "str-num", "t", "yes", "off", "nothing", "obj", "list"], a.Keys);
        Assert.Equal(3, Assert.IsType<ConfigArray>(a["list"]).Count);
        Assert.Equal("1.5", Assert.IsType<ConfigNumber>(a["frac"]).Text);
        Assert.True(Assert.IsType<ConfigNumber>(a["whole"]).TryGetInt64(out long whole));
        Assert.Equal(2000, whole);
        Assert.False(((ConfigNumber)a["frac"]).TryGetInt64(out _));
    }
}
