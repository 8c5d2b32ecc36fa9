using IommuSim.Runtime.Configuration;
using Xunit;
using static IommuSim.Runtime.Tests.Configuration.Hocon;

namespace IommuSim.Runtime.Tests.Configuration;

public class IncludeTests
{
    [Fact]
    public void IncludeIsRelativeToTheIncludingFile()
    {
        using var dir = new TempDirectory();
        dir.Write("conf/common.conf", "shared = 1\nnested { from = common }");
        string main = dir.Write("conf/main.conf", "include \"common.conf\"\nown = 2");

        var config = ConfigurationFactory.ParseFile(main);
        Assert.Equal(1, config.GetInt("shared"));
        Assert.Equal("common", config.GetString("nested.from"));
        Assert.Equal(2, config.GetInt("own"));
        Assert.Equal(["shared", "nested", "own"], config.Keys);
    }

    [Fact]
    public void PositionsNameTheIncludedFile()
    {
        using var dir = new TempDirectory();
        dir.Write("sub/inner.conf", "x = 1\ny = oops");
        string main = dir.Write("main.conf", "include \"sub/inner.conf\"");
        var config = ConfigurationFactory.ParseFile(main);

        var position = config.PositionOf("y")!;
        Assert.Equal(Path.Combine(dir.Path, "sub", "inner.conf"), position.File);
        Assert.Equal((2, 5), (position.Line, position.Column));
        var error = Assert.Throws<ConfigException>(() => config.GetInt("y"));
        Assert.Equal($"{Path.Combine(dir.Path, "sub", "inner.conf")}:2:5: 'y' has type string \"oops\", expected a number", error.Message);
    }

    [Fact]
    public void SyntaxErrorsInIncludedFilesNameThatFile()
    {
        using var dir = new TempDirectory();
        dir.Write("bad.conf", "a = 1\nb = }");
        string main = dir.Write("main.conf", "include \"bad.conf\"");
        var error = Assert.Throws<HoconParseException>(() => ConfigurationFactory.ParseFile(main));
        Assert.Equal(new ConfigPosition(Path.Combine(dir.Path, "bad.conf"), 2, 5), error.Position);
        Assert.Equal("expected a value after '=' for key 'b', found '}'", error.Reason);
    }

    [Fact]
    public void FileRequiredAndCombinedForms()
    {
        using var dir = new TempDirectory();
        dir.Write("a.conf", "a = 1");
        dir.Write("b.conf", "b = 2");
        dir.Write("c.conf", "c = 3");
        string main = dir.Write("main.conf", """
            include file("a.conf")
            include required("b.conf")
            include required( file( "c.conf" ) )
            include
              "a.conf"
            """);
        var config = ConfigurationFactory.ParseFile(main);
        Assert.Equal("{a:1,b:2,c:3}", Json(config));
    }

    [Fact]
    public void MissingPlainIncludeIsSilentlyIgnored()
    {
        using var dir = new TempDirectory();
        string main = dir.Write("main.conf", "include \"nope.conf\"\ninclude file(\"nope2.conf\")\na = 1");
        Assert.Equal("{a:1}", Json(ConfigurationFactory.ParseFile(main)));
    }

    [Fact]
    public void MissingRequiredIncludeIsAnErrorAtTheStatement()
    {
        using var dir = new TempDirectory();
        string main = dir.Write("main.conf", "a = 1\n  include required(\"nope.conf\")");
        var error = Assert.Throws<ConfigException>(() => ConfigurationFactory.ParseFile(main));
        Assert.Equal(new ConfigPosition(main, 2, 3), error.Position);
        Assert.Equal($"required include 'nope.conf' not found (looked for {Path.Combine(dir.Path, "nope.conf")})", error.Reason);
    }

    [Fact]
    public void IncludedKeysMergeLikeDuplicateKeys()
    {
        using var dir = new TempDirectory();
        dir.Write("inc.conf", "x = included\no { b = included }");
        string main = dir.Write("main.conf", """
            x = before
            o { a = before, b = before }
            include "inc.conf"
            o { c = after }
            """);
        var config = ConfigurationFactory.ParseFile(main);
        Assert.Equal("included", config.GetString("x"));
        Assert.Equal("{a:\"before\",b:\"included\",c:\"after\"}", Json(config.GetValue("o")!));

        string later = dir.Write("later.conf", "include \"inc.conf\"\nx = after");
        Assert.Equal("after", ConfigurationFactory.ParseFile(later).GetString("x"));
    }

    [Fact]
    public void IncludeInsideAnObjectNestsTheKeysAndFixesUpSubstitutions()
    {
        using var dir = new TempDirectory();
        dir.Write("foo.conf", "{ x : 10, y : ${x} }");
        var config = ConfigurationFactory.ParseFile(dir.Write("main.conf", "{ a : { include \"foo.conf\" } }"));
        Assert.Equal("{a:{x:10,y:10}}", Json(config));

        var redefined = ConfigurationFactory.ParseFile(dir.Write("main2.conf", "{\n a : { include \"foo.conf\" }\n a : { x : 42 }\n}"));
        Assert.Equal(42, redefined.GetInt("a.y"));
    }

    [Fact]
    public void IncludedSubstitutionsFallBackToTheRoot()
    {
        using var dir = new TempDirectory();
        dir.Write("foo.conf", "z = ${top}\nw = ${a.local}\nlocal = 5");
        var config = ConfigurationFactory.ParseFile(dir.Write("main.conf", "top = 1\na { include \"foo.conf\" }"));
        Assert.Equal(1, config.GetInt("a.z"));
        Assert.Equal(5, config.GetInt("a.w"));
    }

    [Fact]
    public void AppendInAnIncludedFileUsesTheFullPath()
    {
        using var dir = new TempDirectory();
        dir.Write("more.conf", "list += 3");
        var config = ConfigurationFactory.ParseFile(dir.Write("main.conf", "a { list = [1, 2] }\na { include \"more.conf\" }"));
        Assert.Equal([1, 2, 3], config.GetIntList("a.list"));
    }

    [Fact]
    public void IncludedFileMustHoldAnObject()
    {
        using var dir = new TempDirectory();
        string list = dir.Write("list.conf", "  [1, 2]");
        var error = Assert.Throws<HoconParseException>(() => ConfigurationFactory.ParseFile(dir.Write("main.conf", "include \"list.conf\"")));
        Assert.Equal(new ConfigPosition(list, 1, 3), error.Position);
        Assert.Equal("an included file must contain an object, found an array", error.Reason);
    }

    [Fact]
    public void IncludeCyclesAreRejected()
    {
        using var dir = new TempDirectory();
        string a = dir.Write("a.conf", "include \"b.conf\"");
        string b = dir.Write("b.conf", "x = 1\ninclude \"a.conf\"");
        var error = Assert.Throws<ConfigException>(() => ConfigurationFactory.ParseFile(a));
        Assert.Equal(new ConfigPosition(b, 2, 1), error.Position);
        Assert.Equal($"include cycle: {a} -> {b} -> {a}", error.Reason);
    }

    [Fact]
    public void ExtensionlessIncludeLoadsEveryFormatWithHoconLast()
    {
        using var dir = new TempDirectory();
        dir.Write("settings.json", """{ "a": "json", "b": "json" }""");
        dir.Write("settings.conf", "a = conf");
        var config = ConfigurationFactory.ParseFile(dir.Write("main.conf", "include \"settings\""));
        Assert.Equal("conf", config.GetString("a"));
        Assert.Equal("json", config.GetString("b"));
    }

    [Fact]
    public void ParseStringIncludesRelativeToTheCurrentDirectory()
    {
        using var dir = new TempDirectory();
        string file = dir.Write("inc.conf", "v = 7");
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, file);
        Assert.Equal(7, Parse($"include \"{relative.Replace("\\", "\\\\", StringComparison.Ordinal)}\"").GetInt("v"));
        Assert.Equal(7, Parse($"include file(\"{file.Replace("\\", "\\\\", StringComparison.Ordinal)}\")").GetInt("v"));
    }

    [Fact]
    public void IncludeInsideArrayObjectsWorks()
    {
        using var dir = new TempDirectory();
        dir.Write("item.conf", "name = item");
        var config = ConfigurationFactory.ParseFile(dir.Write("main.conf", "items = [ { include \"item.conf\", n = 1 } ]"));
        Assert.Equal("item", config.GetConfigList("items")[0].GetString("name"));
    }

    [Fact]
    public void ClasspathIncludeReadsEmbeddedResources()
    {
        var config = Parse("include classpath(\"akka.hocon\")\nmine = 1");
        Assert.True(config.Root.ContainsKey("akka"));
        Assert.Equal(1, config.GetInt("mine"));
        AssertError(Assert.Throws<ConfigException>(() => Parse("include required(classpath(\"no-such.hocon\"))")), 1, 1,
            "required include 'no-such.hocon' not found (looked for resource 'no-such.hocon')");
    }

    [Fact]
    public void EmptyIncludeNameIsAnError()
    {
        AssertError(Assert.Throws<ConfigException>(() => Parse("a = 1\ninclude \"\"")), 2, 1, "include needs a non-empty name");
    }

    [Fact]
    public void UrlIncludesAreRejected()
    {
        AssertError(Assert.Throws<ConfigException>(() => Parse("include url(\"http://example.com/a.conf\")")), 1, 1,
            "cannot include 'http://example.com/a.conf': only files and embedded resources can be included, not URLs");
        AssertError(Assert.Throws<ConfigException>(() => Parse("include \"https://example.com/a.conf\"")), 1, 1,
            "cannot include 'https://example.com/a.conf': only files and embedded resources can be included, not URLs");
    }
}
