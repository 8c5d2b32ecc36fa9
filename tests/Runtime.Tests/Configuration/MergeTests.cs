using Xunit;
using static IommuSim.Runtime.Tests.Configuration.Hocon;

namespace IommuSim.Runtime.Tests.Configuration;

/// <summary>Duplicate keys and object merging (HOCON.md "Duplicate keys and object merging").</summary>
public class MergeTests
{
    [Fact]
    public void DuplicateObjectsMerge()
    {
        string merged = Json(Parse("""{ "foo" : { "a" : 42 }, "foo" : { "b" : 43 } }"""));
        Assert.Equal(Json(Parse("""{ "foo" : { "a" : 42, "b" : 43 } }""")), merged);
    }

    [Fact]
    public void AnInterveningNonObjectPreventsTheMerge()
    {
        var config = Parse("""{ "foo" : { "a" : 42 }, "foo" : null, "foo" : { "b" : 43 } }""");
        Assert.Equal("{foo:{b:43}}", Json(config));
    }

    [Fact]
    public void LaterNonObjectsWinAndReplaceObjects()
    {
        Assert.Equal("{a:2}", Json(Parse("a = 1\na = 2")));
        Assert.Equal("{a:5}", Json(Parse("a { x = 1 }\na = 5")));
        Assert.Equal("{a:{x:1}}", Json(Parse("a = 5\na { x = 1 }")));
        Assert.Equal("{a:[3]}", Json(Parse("a = [1, 2]\na = [3]")));
    }

    [Fact]
    public void MergingIsRecursive()
    {
        var config = Parse("""
            a { b { c = 1, d = 2 }, e = 3 }
            a.b.d = 20
            a { b { f = 4 } }
            """);
        Assert.Equal("{a:{b:{c:1,d:20,f:4},e:3}}", Json(config));
    }

    [Fact]
    public void AppendAddsToAnArray()
    {
        Assert.Equal([1, 2, 3], Parse("a = [1]\na += 2\na += 3").GetIntList("a"));
    }

    [Fact]
    public void AppendMayBeTheFirstMention()
    {
        Assert.Equal(["x"], Parse("a += x").GetStringList("a"));
    }

    [Fact]
    public void AppendWorksInNestedObjectsAndWithObjects()
    {
        var config = Parse("""
            server { hosts = [a] }
            server { hosts += b }
            server.hosts += c
            list += { name = one }
            list += { name = two }
            """);
        Assert.Equal(["a", "b", "c"], config.GetStringList("server.hosts"));
        Assert.Equal(["one", "two"], config.GetConfigList("list").Select(item => item.GetString("name")));
    }

    [Fact]
    public void ManyAppendsDoNotNestSubstitutions()
    {
        string text = string.Concat(Enumerable.Range(0, 2000).Select(i => $"a += {i}\n"));
        Assert.Equal(Enumerable.Range(0, 2000), Parse(text).GetIntList("a"));
        Assert.Equal(Enumerable.Range(0, 2001), Parse("a = [0]\n" + string.Concat(Enumerable.Range(1, 2000).Select(i => $"a += {i}\n"))).GetIntList("a"));
    }

    [Fact]
    public void AppendAfterAnotherDefinitionStillSeesIt()
    {
        Assert.Equal([1, 2, 3], Parse("x = [1, 2]\na = ${x}\na += 3").GetIntList("a"));
        Assert.Equal([1, 2, 3], Parse("a = [1]\na = ${a} [2]\na += 3").GetIntList("a"));
        Assert.Equal([1, 2], Parse("o { a = [1] }\no { a += 2 }").GetIntList("o.a"));
    }

    [Fact]
    public void FirstMentionAppendExtendsTheFallbacksArray()
    {
        var merged = Parse("a += 2\na += 3").WithFallback(Parse("a = [1]"));
        Assert.Equal([1, 2, 3], merged.GetIntList("a"));
    }

    [Fact]
    public void AppendToANonArrayIsAnError()
    {
        AssertError(ResolveError("a = foo\na += bar"), 2, 6, "cannot concatenate string \"foo\" and array in the value of 'a'");
    }

    [Fact]
    public void AppendInsideAnArrayObjectIsAnError()
    {
        AssertError(ParseError("a = [ { b += 1 } ]"), 1, 9,
            "'+=' cannot be used in an object inside an array: the field has no path to append to");
    }
}
