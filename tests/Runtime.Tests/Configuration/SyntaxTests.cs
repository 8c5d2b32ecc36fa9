using IommuSim.Runtime.Configuration;
using Xunit;
using static IommuSim.Runtime.Tests.Configuration.Hocon;

namespace IommuSim.Runtime.Tests.Configuration;

public class SyntaxTests
{
    [Fact]
    public void EmptyDocumentIsAnEmptyObject()
    {
        Assert.True(Parse("").IsEmpty);
        Assert.True(Parse("  \n # only a comment\n // another\n").IsEmpty);
        Assert.True(Parse("{}").IsEmpty);
    }

    [Fact]
    public void JsonIsValidHocon()
    {
        var config = Parse("""{ "a": 1, "b": [true, false, null], "c": { "d": "e\u0021" }, "f": -1.5e3 }""");
        Assert.Equal("{a:1,b:[true,false,null],c:{d:\"e!\"},f:-1.5e3}", Json(config));
    }

    [Fact]
    public void RootBracesAreOptional()
    {
        Assert.Equal(Json(Parse("{ a = 1, b = 2 }")), Json(Parse("a = 1\nb = 2")));
    }

    [Theory]
    [InlineData("a = 1")]
    [InlineData("a : 1")]
    [InlineData("a=1")]
    [InlineData("\"a\" : 1")]
    [InlineData("a\t=\t1")]
    public void EqualsAndColonBothSeparateKeyAndValue(string text)
    {
        Assert.Equal(1, Parse(text).GetInt("a"));
    }

    [Fact]
    public void SeparatorMayBeOmittedBeforeAnObject()
    {
        var config = Parse("foo { bar = 1 }\n\"quoted\" {}");
        Assert.Equal(1, config.GetInt("foo.bar"));
        Assert.True(config.GetConfig("quoted").IsEmpty);
        Assert.IsType<ConfigObject>(config.GetValue("quoted"));
    }

    [Fact]
    public void NewlineAfterSeparatorIsAllowedAsInJson()
    {
        Assert.Equal(5, Parse("{ \"a\" :\n 5 }").GetInt("a"));
    }

    [Fact]
    public void CommentsRunToEndOfLine()
    {
        var config = Parse("""
            # hash comment
            a = 1 # trailing
            // slash comment
            b = 2 // trailing
            c = "not # a comment // here"
            d = http//
            """);
        Assert.Equal(1, config.GetInt("a"));
        Assert.Equal(2, config.GetInt("b"));
        Assert.Equal("not # a comment // here", config.GetString("c"));
        Assert.Equal("http", config.GetString("d"));
        Assert.Equal(["a", "b", "c", "d"], config.Keys);
    }

    [Fact]
    public void SingleSlashIsPlainText()
    {
        Assert.Equal("/usr/local/bin", Parse("p = /usr/local/bin").GetString("p"));
    }

    [Fact]
    public void CommasAreOptionalBetweenLinesAndOneTrailingCommaIsIgnored()
    {
        string[] equivalent = ["[1,2,3,]", "[1,2,3]", "[1\n2\n3]", "[\n1,\n2,\n3,\n]", "[1\n\n2,\n 3 ,]"];
        foreach (string array in equivalent)
        {
            Assert.Equal([1, 2, 3], Parse("a = " + array).GetIntList("a"));
        }

        Assert.Equal("{a:1,b:2}", Json(Parse("{ a = 1, b = 2, }")));
        Assert.Equal("{a:1,b:2}", Json(Parse("a = 1,\nb = 2,")));
    }

    [Fact]
    public void QuotedStringsUseJsonEscapes()
    {
        var config = Parse("""s = "tab\tnl\nquote\"back\\slash\/ \u00e9\u0041 \b\f\r" """);
        Assert.Equal("tab\tnl\nquote\"back\\slash/ \u00e9A \b\f\r", config.GetString("s"));
        Assert.True(((ConfigString)config.GetValue("s")!).IsQuoted);
    }

    [Fact]
    public void UnquotedStringsAreTakenLiterally()
    {
        var config = Parse("a = foo-bar_baz.qux/quux;%~'()<>|\nb = localhost");
        Assert.Equal("foo-bar_baz.qux/quux;%~'()<>|", config.GetString("a"));
        Assert.False(((ConfigString)config.GetValue("b")!).IsQuoted);
    }

    [Fact]
    public void WhitespaceBetweenUnquotedWordsIsKeptAndTrimmedAtTheEnds()
    {
        Assert.Equal("foo bar   baz", Parse("a =   foo bar   baz   \n").GetString("a"));
        Assert.Equal("\"foo bar baz\"", Json(Parse("a : foo bar baz").GetValue("a")!));
    }

    [Fact]
    public void TripleQuotedStringsAreVerbatimAndMayHoldNewlines()
    {
        var config = Parse("a = \"\"\"line one\n  \"quoted\" \\n not an escape\nend\"\"\"\nb = 2");
        Assert.Equal("line one\n  \"quoted\" \\n not an escape\nend", config.GetString("a"));
        Assert.Equal(2, config.GetInt("b"));
    }

    [Fact]
    public void ExtraQuotesBeforeTheClosingTripleQuoteBelongToTheString()
    {
        Assert.Equal("foo\"", Parse("a = \"\"\"foo\"\"\"\"").GetString("a"));
        Assert.Equal("foo\"\"", Parse("a = \"\"\"foo\"\"\"\"\"").GetString("a"));
        Assert.Equal(string.Empty, Parse("a = \"\"").GetString("a"));
    }

    [Fact]
    public void NumbersKeepTheirTypeAndText()
    {
        var config = Parse("i = 42\nn = -7\nl = 9000000000\nd = 3.25\ne = 1e3\nE = -2.5E-2\nbig = 123456789012345678901234567890");
        Assert.Equal(42, config.GetInt("i"));
        Assert.Equal(-7, config.GetInt("n"));
        Assert.Equal(9_000_000_000L, config.GetLong("l"));
        Assert.Equal(3.25, config.GetDouble("d"));
        Assert.Equal(1000, config.GetInt("e"));
        Assert.Equal("1e3", config.GetString("e"));
        Assert.Equal(-0.025, config.GetDouble("E"));
        Assert.Equal(1.2345678901234568E+29, config.GetDouble("big"));
        Assert.Equal(ConfigValueType.Number, config.GetValue("d")!.ValueType);
    }

    [Fact]
    public void BooleansAndNull()
    {
        var config = Parse("t = true\nf = false\nn = null");
        Assert.True(config.GetBoolean("t"));
        Assert.False(config.GetBoolean("f"));
        Assert.IsType<ConfigNull>(config.GetValue("n"));
        Assert.False(config.HasPath("n"));
    }

    [Fact]
    public void DottedKeysCreateNestedObjects()
    {
        Assert.Equal("{foo:{bar:{baz:42}}}", Json(Parse("foo.bar.baz : 42")));
        Assert.Equal(Json(Parse("a { x : 42, y : 43 }")), Json(Parse("a.x : 42, a.y : 43")));
    }

    [Fact]
    public void QuotedKeyPartsMayContainDotsAndBeEmpty()
    {
        var config = Parse("foo.bar.\"hello.world\" = 1\na.\"\".b = 2\n\"x.y\" = 3");
        Assert.Equal(1, config.GetInt("foo.bar.\"hello.world\""));
        Assert.Equal(2, config.GetInt("a.\"\".b"));
        Assert.Equal(3, config.GetInt("\"x.y\""));
        Assert.False(config.HasPath("x.y"));
    }

    [Fact]
    public void KeysAreAlwaysStrings()
    {
        var config = Parse("true : 42\n3 : 43\nnull = 45");
        Assert.Equal(42, config.GetInt("true"));
        Assert.Equal(43, config.GetInt("\"3\""));
        Assert.Equal(45, config.GetInt("null"));
        Assert.Equal(["true", "3", "null"], config.Keys);

        // A number key is a path expression: its dot separates elements.
        Assert.Equal("{3:{14:44}}", Json(Parse("3.14 : 44")));
    }

    [Fact]
    public void NumbersInKeysSplitOnTheirDots()
    {
        Assert.Equal("{10:{0foo:1}}", Json(Parse("10.0foo = 1")));
        Assert.Equal("{foo10:{0:1}}", Json(Parse("foo10.0 = 1")));
        Assert.Equal("{foo10.0:1}", Json(Parse("foo\"10.0\" = 1")));
        Assert.Equal("{1:{2:{3:1}}}", Json(Parse("1.2.3 = 1")));
    }

    [Fact]
    public void WhitespaceInsideKeysIsKept()
    {
        var config = Parse("a b c : 42");
        Assert.Equal(["a b c"], config.Keys);
        Assert.Equal(42, config.GetInt("a b c"));
    }

    [Fact]
    public void IncludeIsOnlySpecialAtTheStartOfAKey()
    {
        var config = Parse("{ foo include : 42, v : include, \"include\" : 43, includes = 44, arr = [ include ] }");
        Assert.Equal(42, config.GetInt("foo include"));
        Assert.Equal("include", config.GetString("v"));
        Assert.Equal(43, config.GetInt("\"include\""));
        Assert.Equal(44, config.GetInt("includes"));
        Assert.Equal(["include"], config.GetStringList("arr"));
    }

    [Fact]
    public void KeysKeepFileOrder()
    {
        var config = Parse("z = 1\na = 2\nm { q = 1 }\nz = 3\nb = 4");
        Assert.Equal(["z", "a", "m", "b"], config.Keys);
        Assert.Equal(3, config.GetInt("z"));
    }

    [Fact]
    public void UnicodeWhitespaceAndByteOrderMarkSeparateTokens()
    {
        var config = Parse("\uFEFFa\u00A0=\u2007x\u202Fy\r\nb\u3000=\t2");
        Assert.Equal("x\u202Fy", config.GetString("a"));
        Assert.Equal(2, config.GetInt("b"));
    }

    [Fact]
    public void CarriageReturnLineEndingsWork()
    {
        var config = Parse("a = 1\r\nb = [1,\r\n2]\r\nc = x y\r\n");
        Assert.Equal(1, config.GetInt("a"));
        Assert.Equal([1, 2], config.GetIntList("b"));
        Assert.Equal("x y", config.GetString("c"));
    }

    [Fact]
    public void ArraysHoldAnyValues()
    {
        var config = Parse("a = [1, \"two\", three, [4], { five = 5 }, null, true]");
        Assert.Equal("[1,\"two\",\"three\",[4],{five:5},null,true]", Json(config.GetValue("a")!));
    }

    [Fact]
    public void PositionsPointAtValues()
    {
        var config = Parse("a {\n  b = 42\n  c = [1, 2]\n}\nd.e = x");
        Assert.Equal(new ConfigPosition(Origin, 2, 7), config.PositionOf("a.b"));
        Assert.Equal(new ConfigPosition(Origin, 3, 7), config.PositionOf("a.c"));
        Assert.Equal(new ConfigPosition(Origin, 1, 3), config.PositionOf("a"));
        Assert.Equal(new ConfigPosition(Origin, 5, 7), config.PositionOf("d.e"));
        Assert.Equal(new ConfigPosition(Origin, 5, 1), config.PositionOf("d"));
        Assert.Null(config.PositionOf("missing"));
        Assert.Equal("test.conf:2:7", config.PositionOf("a.b")!.ToString());
    }
}
