using IommuSim.Runtime.Configuration;
using Xunit;
using static IommuSim.Runtime.Tests.Configuration.Hocon;

namespace IommuSim.Runtime.Tests.Configuration;

public class ConcatenationTests
{
    [Fact]
    public void SimpleValuesConcatenateIntoAStringKeepingInnerWhitespace()
    {
        var config = Parse("a = foo \"bar\"  baz\nb = \"x\"\"y\"\nc = 1 2 3\nd = true foo\ne = null x");
        Assert.Equal("foo bar  baz", config.GetString("a"));
        Assert.Equal("xy", config.GetString("b"));
        Assert.Equal("1 2 3", config.GetString("c"));
        Assert.Equal(ConfigValueType.String, config.GetValue("c")!.ValueType);
        Assert.Equal("true foo", config.GetString("d"));
        Assert.Equal("null x", config.GetString("e"));
    }

    [Fact]
    public void NumbersConcatenateAsWritten()
    {
        Assert.Equal("1e5 0.50 -0", Parse("a = 1e5 0.50 -0").GetString("a"));
    }

    [Fact]
    public void ASingleValueKeepsItsType()
    {
        var config = Parse("a = true\nb = 10\nc = [ true ]");
        Assert.Equal(ConfigValueType.Boolean, config.GetValue("a")!.ValueType);
        Assert.Equal(ConfigValueType.Number, config.GetValue("b")!.ValueType);
        Assert.Equal("[true]", Json(config.GetValue("c")!));
    }

    [Fact]
    public void KeywordsAndNumbersOnlyStartTokensAtTheBeginningOfText()
    {
        var config = Parse("a = truefoo\nb = footrue\nc = 10.0bar\nd = bar10.0\ne = 10ms\nf = 192.168.0.1");
        Assert.Equal("truefoo", config.GetString("a"));
        Assert.Equal("footrue", config.GetString("b"));
        Assert.Equal("10.0bar", config.GetString("c"));
        Assert.Equal("bar10.0", config.GetString("d"));
        Assert.Equal("10ms", config.GetString("e"));
        Assert.Equal("192.168.0.1", config.GetString("f"));
    }

    [Fact]
    public void ArraysConcatenate()
    {
        Assert.Equal([1, 2, 3, 4], Parse("a : [ 1, 2 ] [ 3, 4 ]").GetIntList("a"));
        Assert.Equal([1, 2, 3], Parse("a : [1][2] [3]").GetIntList("a"));
    }

    [Fact]
    public void ObjectsConcatenateByMerging()
    {
        string expected = Json(Parse("a : { b : 1, c : 2 }"));
        Assert.Equal(expected, Json(Parse("a : { b : 1 } { c : 2 }")));
        Assert.Equal(expected, Json(Parse("a : { b : 1 }\na : { c : 2 }")));
        Assert.Equal("{a:{b:3,c:2}}", Json(Parse("a { b : 1 } { c : 2, b : 3 }")));
    }

    [Fact]
    public void ArraysWithoutCommasConcatenateOnOneLineAndSeparateAcrossLines()
    {
        Assert.Equal("{a:[\"1 2 3 4\"]}", Json(Parse("a = [ 1 2 3 4 ]")));
        Assert.Equal("{a:[1,2,3,4]}", Json(Parse("a = [ 1\n  2\n  3\n  4 ]")));
        Assert.Equal("{a:[[1,2,3,4]]}", Json(Parse("a = [ [ 1, 2 ] [ 3, 4 ] ]")));
        Assert.Equal("{a:[[1,2],[3,4]]}", Json(Parse("a = [ [ 1, 2 ]\n  [ 3, 4 ] ]")));
    }

    [Fact]
    public void SubstitutionsConcatenateWithText()
    {
        var config = Parse("""
            name = World
            world = earth
            a = [ This is an unquoted string my name is ${name}, Hello ${world} ]
            animal.favorite = cat
            key1 : ${animal.favorite} is my favorite animal
            key2 : ${animal.favorite}" is my favorite animal"
            """);
        Assert.Equal(["This is an unquoted string my name is World", "Hello earth"], config.GetStringList("a"));
        Assert.Equal("cat is my favorite animal", config.GetString("key1"));
        Assert.Equal("cat is my favorite animal", config.GetString("key2"));
    }

    [Fact]
    public void SubstitutionsConcatenateArraysAndObjects()
    {
        var config = Parse("""
            data-center-generic = { cluster-size = 6 }
            data-center-east = ${data-center-generic} { name = "east" }
            base = [1, 2]
            more = ${base} [3] ${base}
            """);
        Assert.Equal("{cluster-size:6,name:\"east\"}", Json(config.GetValue("data-center-east")!));
        Assert.Equal([1, 2, 3, 1, 2], config.GetIntList("more"));
    }

    [Fact]
    public void SubstitutedNonStringsConcatenateAsText()
    {
        var config = Parse("n = 1.50\nb = false\nz = null\ns = ${n}-${b}-${z}");
        Assert.Equal("1.50-false-null", config.GetString("s"));
    }

    [Fact]
    public void WhitespaceBetweenObjectOrArraySubstitutionsIsIgnored()
    {
        var config = Parse("f = { q = e }\nl = [1]\ntest1 = { q = e } { r = f }\ntest2 = ${f} { r = f }\ntest3 = ${f} ${f}\nlist = ${l}  ${l}");
        Assert.Equal("{q:\"e\",r:\"f\"}", Json(config.GetValue("test1")!));
        Assert.Equal("{q:\"e\",r:\"f\"}", Json(config.GetValue("test2")!));
        Assert.Equal("{q:\"e\"}", Json(config.GetValue("test3")!));
        Assert.Equal([1, 1], config.GetIntList("list"));
    }

    [Fact]
    public void HyphenThatCannotStartANumberIsText()
    {
        var config = Parse("prefix = iommu\nname = ${prefix}-node\ndash = -\nflag = --verbose\nneg = -5\nkey-with-dash = 1");
        Assert.Equal("iommu-node", config.GetString("name"));
        Assert.Equal("-", config.GetString("dash"));
        Assert.Equal("--verbose", config.GetString("flag"));
        Assert.Equal(-5, config.GetInt("neg"));
        Assert.Equal(1, config.GetInt("key-with-dash"));
    }

    [Fact]
    public void MixingKindsIsAnErrorWhenKnownWhileParsing()
    {
        AssertError(ParseError("a = [1] foo"), 1, 9,
            "cannot concatenate an array and a string \"foo\" in one value; put them on separate lines or separate them with ','");
        AssertError(ParseError("a = { x = 1 } [2]"), 1, 15,
            "cannot concatenate an object and an array in one value; put them on separate lines or separate them with ','");
        AssertError(ParseError("a = 12 {}"), 1, 8,
            "cannot concatenate a number 12 and an object in one value; put them on separate lines or separate them with ','");
    }

    [Fact]
    public void MixingKindsThroughSubstitutionsIsAnErrorWhenResolved()
    {
        AssertError(ResolveError("o = { x = 1 }\na = ${o} foo"), 2, 10,
            "cannot concatenate object and string \"foo\" in the value of 'a'");
        AssertError(ResolveError("l = [1]\na = x ${l}"), 2, 7,
            "cannot concatenate string \"x\" and array in the value of 'a'");
    }
}
