using IommuSim.Runtime.Configuration;
using Xunit;
using static IommuSim.Runtime.Tests.Configuration.Hocon;

namespace IommuSim.Runtime.Tests.Configuration;

/// <summary>HOCON.md "Substitutions" and "Self-Referential Substitutions", example by example.</summary>
public class SubstitutionTests
{
    [Fact]
    public void SubstitutionsKeepTheTypeOfWhatTheyReferTo()
    {
        var config = Parse("a { b = 1, c = [x], d { e = true } }\nn = ${a.b}\nl = ${a.c}\no = ${a.d}\nz = null\nzz = ${z}");
        Assert.Equal(ConfigValueType.Number, config.GetValue("n")!.ValueType);
        Assert.Equal(["x"], config.GetStringList("l"));
        Assert.True(config.GetBoolean("o.e"));
        Assert.IsType<ConfigNull>(config.GetValue("zz"));
    }

    [Fact]
    public void SubstitutionsLookForward()
    {
        var config = Parse("a = ${b}\nb = ${c.d}\nc.d = 42");
        Assert.Equal(42, config.GetInt("a"));
    }

    [Fact]
    public void SubstitutionsSeeTheLatestAssignedValue()
    {
        var config = Parse("x = ${foo}\nfoo = 1\nfoo = 2\nobj = ${o}\no { a = 1 }\no { b = 2 }");
        Assert.Equal(2, config.GetInt("x"));
        Assert.Equal("{a:1,b:2}", Json(config.GetValue("obj")!));
    }

    [Fact]
    public void SubstitutedValuesReportWhereTheyWereDefined()
    {
        var config = Parse("a = ${b}\nb = 42");
        Assert.Equal(new ConfigPosition(Origin, 2, 5), config.PositionOf("a"));
    }

    [Fact]
    public void QuotedAndSpacedPathsInSubstitutions()
    {
        var config = Parse("a.\"b.c\" = 1\nx = ${a.\"b.c\"}\ny = ${ a.\"b.c\" }\n\"d e\" = 2\nz = ${d e}");
        Assert.Equal(1, config.GetInt("x"));
        Assert.Equal(1, config.GetInt("y"));
        Assert.Equal(2, config.GetInt("z"));
    }

    [Fact]
    public void ObjectsMayReferToTheirOwnFields()
    {
        var config = Parse("bar : { foo : 42,\n baz : ${bar.foo}\n }");
        Assert.Equal(42, config.GetInt("bar.baz"));
    }

    [Fact]
    public void ObjectSelfReferencesLookForwardToLaterDefinitions()
    {
        var config = Parse("bar : { foo : 42,\n baz : ${bar.foo}\n }\nbar : { foo : 43 }");
        Assert.Equal(43, config.GetInt("bar.baz"));
    }

    [Fact]
    public void MutuallyReferringObjectsResolve()
    {
        var config = Parse("""
            bar : { a : ${foo.d}, b : 1 }
            bar.b = 3
            foo : { c : ${bar.b}, d : 2 }
            foo.d = 4
            """);
        Assert.Equal(4, config.GetInt("bar.a"));
        Assert.Equal(3, config.GetInt("foo.c"));
    }

    [Fact]
    public void SelfReferenceAppendsToThePreviousValue()
    {
        Assert.Equal("a:b:c:d", Parse("path : \"a:b:c\"\npath : ${path}\":d\"").GetString("path"));
        Assert.Equal("/usr/bin:/bin", Parse("path = /usr/bin\npath = ${path}\":/bin\"").GetString("path"));
    }

    [Fact]
    public void SelfReferenceConcatenatesArrays()
    {
        Assert.Equal(["/bin", "/usr/bin"], Parse("path = [ /bin ]\npath = ${path} [ /usr/bin ]").GetStringList("path"));
        Assert.Equal([1, 2, 3, 4], Parse("a : [ 1, 2 ]\na : ${a} [ 3, 4 ]").GetIntList("a"));
    }

    [Fact]
    public void SelfReferenceToAnObjectResolvesToTheOverriddenValue()
    {
        Assert.Equal("{foo:{a:1}}", Json(Parse("foo : { a : 1 }\nfoo : ${foo}")));
        Assert.Equal("{foo:{a:1,b:2}}", Json(Parse("foo : { a : 1 }\nfoo : ${foo} { b : 2 }")));
    }

    [Fact]
    public void SelfReferenceBeforeAnyValueIsUndefined()
    {
        AssertError(ResolveError("foo : ${foo}\nfoo : { a : 1 }"), 1, 7, "could not resolve substitution ${foo}");
        AssertError(ResolveError("foo : ${foo}"), 1, 7, "could not resolve substitution ${foo}");
    }

    [Fact]
    public void OptionalSelfReferenceWithNothingBeforeDisappears()
    {
        Assert.True(Parse("foo : ${?foo}").IsEmpty);
        Assert.Equal("foo", Parse("a = ${?a}foo").GetString("a"));
    }

    [Fact]
    public void SelfReferenceLooksBelowEvenThroughAPath()
    {
        var config = Parse("foo : { a : { c : 1 } }\nfoo : ${foo.a}\nfoo : { a : 2 }");
        Assert.Equal("{foo:{a:2,c:1}}", Json(config));
    }

    [Fact]
    public void HiddenSubstitutionsAreNeverEvaluated()
    {
        Assert.Equal(42, Parse("foo : ${does-not-exist}\nfoo : 42").GetInt("foo"));
        Assert.Equal(42, Parse("foo : ${foo}, foo : 42").GetInt("foo"));
        Assert.Equal(42, Parse("x = 42\nfoo : ${does-not-exist}\nfoo : ${x}").GetInt("foo"));
    }

    [Fact]
    public void InheritanceThroughObjectConcatenation()
    {
        var config = Parse("""
            data-center-generic = { cluster-size = 6 }
            data-center-east = ${data-center-generic} { name = "east" }
            data-center-west = ${data-center-generic} { name = "west", cluster-size = 8 }
            """);
        Assert.Equal(6, config.GetInt("data-center-east.cluster-size"));
        Assert.Equal("east", config.GetString("data-center-east.name"));
        Assert.Equal(8, config.GetInt("data-center-west.cluster-size"));
        Assert.Equal(6, config.GetInt("data-center-generic.cluster-size"));
    }

    [Fact]
    public void LookupsThroughConcatenatedObjects()
    {
        var config = Parse("base { port = 80 }\nweb = ${base} { host = h }\nurl = ${web.host}\":\"${web.port}");
        Assert.Equal("h:80", config.GetString("url"));
    }

    [Fact]
    public void OptionalSubstitutionWithNoValueRemovesTheField()
    {
        var config = Parse("a = ${?missing}\nb = ${?missing}${?other}\nc = [1, ${?missing}, 2]\nd = 1\nd = ${?missing}");
        Assert.False(config.HasPath("a"));
        Assert.False(config.HasPath("b"));
        Assert.Equal([1, 2], config.GetIntList("c"));
        Assert.Equal(1, config.GetInt("d"));
        Assert.Equal(["c", "d"], config.Keys);
    }

    [Fact]
    public void OptionalSubstitutionInConcatenationsBecomesEmpty()
    {
        var config = Parse("s = x${?missing}y\nl = [1] ${?missing}\no = { a = 1 } ${?missing}");
        Assert.Equal("xy", config.GetString("s"));
        Assert.Equal([1], config.GetIntList("l"));
        Assert.Equal(1, config.GetInt("o.a"));
    }

    [Fact]
    public void EnvironmentVariablesAreTheFallback()
    {
        string name = "IOMMUSIM_CONFIG_TEST_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "from-env");
        try
        {
            var config = Parse($"a = ${{{name}}}\nb = ${{?{name}}}\nc = \"x-\"${{{name}}}");
            Assert.Equal("from-env", config.GetString("a"));
            Assert.Equal("from-env", config.GetString("b"));
            Assert.Equal("x-from-env", config.GetString("c"));

            // A value in the configuration, even null, takes precedence over the environment.
            Assert.Equal("mine", Parse($"{name} = mine\na = ${{{name}}}").GetString("a"));
            Assert.IsType<ConfigNull>(Parse($"{name} = null\na = ${{{name}}}").GetValue("a"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void OptionalEnvironmentSubstitutionOverridesADefault()
    {
        string name = "IOMMUSIM_CONFIG_TEST_" + Guid.NewGuid().ToString("N");
        string text = $"port = 80\nport = ${{?{name}}}";
        Assert.Equal(80, Parse(text).GetInt("port"));
        Environment.SetEnvironmentVariable(name, "8080");
        try
        {
            Assert.Equal(8080, Parse(text).GetInt("port"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void SelfReferenceFallsBackToTheEnvironment()
    {
        string name = "IOMMUSIM_CONFIG_TEST_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "/bin");
        try
        {
            Assert.Equal("/bin:/extra", Parse($"{name} = ${{{name}}}\":/extra\"").GetString(name));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void UnresolvedSubstitutionIsAnErrorAtItsPosition()
    {
        AssertError(ResolveError("a {\n  b = ${x.y}\n}"), 2, 7, "could not resolve substitution ${x.y}");
        AssertError(ResolveError("a = [1, ${nope}]"), 1, 9, "could not resolve substitution ${nope}");
        AssertError(ResolveError("a = \"x\"${nope}"), 1, 8, "could not resolve substitution ${nope}");
    }

    [Fact]
    public void PathThroughANonObjectIsUndefined()
    {
        AssertError(ResolveError("a = 5\nb = ${a.c}"), 2, 5, "could not resolve substitution ${a.c}");
        Assert.False(Parse("a = 5\nb = ${?a.c}").HasPath("b"));
    }

    [Fact]
    public void TwoFieldCycleIsReported()
    {
        AssertError(ResolveError("bar : ${foo}\nfoo : ${bar}"), 1, 7, "substitution cycle: bar -> foo -> bar");
    }

    [Fact]
    public void ThreeFieldCycleIsReported()
    {
        AssertError(ResolveError("a : ${b}\nb : ${c}\nc : ${a}"), 1, 5, "substitution cycle: a -> b -> c -> a");
    }

    [Fact]
    public void ReferenceToAnEnclosingObjectIsACycle()
    {
        AssertError(ResolveError("a : { b : ${a} }"), 1, 11, "substitution cycle: a -> a.b -> a");
        AssertError(ResolveError("a : [ ${a} ]"), 1, 7, "substitution cycle: a -> a[0] -> a");
    }

    [Fact]
    public void CycleThroughAnObjectIsReported()
    {
        AssertError(ResolveError("x = ${y}\ny = { z = ${x} }"), 2, 11, "substitution cycle: y -> y.z -> y");
    }

    [Fact]
    public void LookupsLookThroughSubstitutionsInsteadOfResolvingWholeValues()
    {
        // Only b.d is needed for a.d, so the reference from inside b back into a is not a cycle.
        var config = Parse("a = ${b}\nb = { c = ${a.d}, d = 1 }");
        Assert.Equal("{a:{c:1,d:1},b:{c:1,d:1}}", Json(config));
    }

    [Fact]
    public void InheritedObjectsMayReferToTheirOwnInheritedFields()
    {
        var config = Parse("""
            default-dispatcher { throughput = 5, type = Dispatcher }
            my-dispatcher = ${default-dispatcher} { throughput = 10, deadline = ${my-dispatcher.throughput}ms }
            other = ${default-dispatcher} { copy = ${other.type} }
            """);
        Assert.Equal("10ms", config.GetString("my-dispatcher.deadline"));
        Assert.Equal("Dispatcher", config.GetString("other.copy"));
        Assert.Equal(5, config.GetInt("default-dispatcher.throughput"));
    }

    [Fact]
    public void SelfReferenceInsideAConcatenatedObjectSeesTheEarlierValue()
    {
        Assert.Equal("{a:{x:1,y:1}}", Json(Parse("a = { x : 1 }\na = ${a} { y : ${a.x} }")));
        Assert.Equal("{foo:{bar:1,baz:1}}", Json(Parse("foo { bar = 1 }\nfoo = ${foo} { baz = ${foo.bar} }")));
    }

    [Fact]
    public void CycleThroughAnOptionalSubstitutionIsTreatedAsMissing()
    {
        var config = Parse("a : ${?b}\nb : ${?a}\nc = 1");
        Assert.Equal(["c"], config.Keys);
    }

    [Fact]
    public void FieldsReferringToEachOtherAfterEarlierValuesGetTheSameValue()
    {
        var config = Parse("a : 1\nb : 2\na : ${b}\nb : ${a}");
        Assert.Equal(config.GetInt("a"), config.GetInt("b"));
    }

    [Fact]
    public void EachSubstitutionInstanceResolvesOnce()
    {
        var config = Parse("x = 1\nx = ${x}\ny = ${x}\nz = ${x}");
        Assert.Equal(1, config.GetInt("y"));
        Assert.Equal(1, config.GetInt("z"));
    }

    [Fact]
    public void LongSubstitutionChainsResolve()
    {
        var text = new System.Text.StringBuilder();
        for (int i = 0; i < 100; i++)
        {
            text.Append($"k{i} = ${{k{i + 1}}}\n");
        }

        text.Append("k100 = end\n");
        Assert.Equal("end", Parse(text.ToString()).GetString("k0"));
    }

    [Fact]
    public void ResolutionErrorsSurfaceFromEveryReader()
    {
        var config = Parse("a = ${missing}");
        var first = Assert.Throws<ConfigException>(() => config.GetString("a"));
        var second = Assert.Throws<ConfigException>(() => config.Keys.ToList());
        Assert.Equal(first.Message, second.Message);
        Assert.Throws<ConfigException>(() => config.HasPath("a"));
    }
}
