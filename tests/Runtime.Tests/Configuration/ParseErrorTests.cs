using Xunit;
using static IommuSim.Runtime.Tests.Configuration.Hocon;

namespace IommuSim.Runtime.Tests.Configuration;

/// <summary>Every syntax error: exact message, and the line and column of the offending token.</summary>
public class ParseErrorTests
{
    private const string Escapes = "\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX";

    [Theory]
    [InlineData("a = \"abc", 1, 5, "unterminated quoted string: expected a closing '\"' before end of file")]
    [InlineData("a = \"end\\", 1, 5, "unterminated quoted string: expected a closing '\"' before end of file")]
    [InlineData("x = 1\na = \"abc\nb = 1", 2, 5,
        "unterminated quoted string: expected a closing '\"' before end of line (use \\n or \"\"\" for multi-line text)")]
    [InlineData("a = \"\"\"abc\n\"\"", 1, 5, "unterminated triple-quoted string: expected a closing \"\"\" before end of file")]
    public void UnterminatedStrings(string text, int line, int column, string reason) => AssertError(ParseError(text), line, column, reason);

    [Theory]
    [InlineData("a = \"a\\qb\"", 1, 7, "invalid escape '\\q' in quoted string; expected one of " + Escapes)]
    [InlineData("a = \"a\\ b\"", 1, 7, "invalid escape '\\' followed by whitespace in quoted string; expected one of " + Escapes)]
    [InlineData("a = \"a\\u12G4\"", 1, 7, "invalid escape '\\u': expected 4 hex digits, found 'G'")]
    [InlineData("a = \"a\\u12", 1, 7, "invalid escape '\\u': expected 4 hex digits, found end of file")]
    [InlineData("a = \"tab\there\"", 1, 9, "control character U+0009 must be escaped in a quoted string; expected one of " + Escapes)]
    public void BadEscapesAndControlCharacters(string text, int line, int column, string reason) => AssertError(ParseError(text), line, column, reason);

    [Theory]
    [InlineData("a { b = 1", 1, 10, "expected '}' to close the object opened at 1:3, found end of file")]
    [InlineData("a = {", 1, 6, "expected '}' to close the object opened at 1:5, found end of file")]
    [InlineData("a = 1 }", 1, 7, "expected ',' or newline after the value of 'a', found '}' with no matching '{'")]
    [InlineData("x = 1\n}", 2, 1, "expected a key, found '}' with no matching '{'")]
    [InlineData("a = [1, 2", 1, 10, "expected ']' to close the array opened at 1:5, found end of file")]
    [InlineData("a = [1 }", 1, 8, "expected ',' or newline or ']' after an array element, found '}'")]
    [InlineData("a = 1 ]", 1, 7, "expected ',' or newline after the value of 'a', found ']'")]
    [InlineData("{ a = 1 } x", 1, 11, "expected end of file after the root object, found 'x'")]
    [InlineData("{ a = 1 }\n}", 2, 1, "expected end of file after the root object, found '}'")]
    public void UnbalancedBracesAndBrackets(string text, int line, int column, string reason) => AssertError(ParseError(text), line, column, reason);

    [Theory]
    [InlineData("{ a = }", 1, 7, "expected a value after '=' for key 'a', found '}'")]
    [InlineData("a =", 1, 4, "expected a value after '=' for key 'a', found end of file")]
    [InlineData("a : ,", 1, 5, "expected a value after ':' for key 'a', found ','")]
    [InlineData("a +=", 1, 5, "expected a value after '+=' for key 'a', found end of file")]
    [InlineData("a.b = ]", 1, 7, "expected a value after '=' for key 'a.b', found ']'")]
    public void MissingValueAfterSeparator(string text, int line, int column, string reason) => AssertError(ParseError(text), line, column, reason);

    [Theory]
    [InlineData("a", 1, 2, "expected '=' or ':' or '{' after key 'a', found end of file")]
    [InlineData("a\nb = 1", 1, 2, "expected '=' or ':' or '{' after key 'a', found newline")]
    [InlineData("x {\n  y = 1\n  foo }", 3, 7, "expected '=' or ':' or '{' after key 'foo', found '}'")]
    [InlineData("a [1]", 1, 3, "expected '=' or ':' or '{' after key 'a', found '['")]
    [InlineData("a ${b}", 1, 3, "expected '=' or ':' or '{' after key 'a', found substitution ${b}")]
    public void KeyWithoutValue(string text, int line, int column, string reason) => AssertError(ParseError(text), line, column, reason);

    [Theory]
    [InlineData("a = b!c", 1, 6, "forbidden character '!' in unquoted text; put text containing it in double quotes")]
    [InlineData("a = `x`", 1, 5, "forbidden character '`' in unquoted text; put text containing it in double quotes")]
    [InlineData("a = x?", 1, 6, "forbidden character '?' in unquoted text; put text containing it in double quotes")]
    [InlineData("a = @home", 1, 5, "forbidden character '@' in unquoted text; put text containing it in double quotes")]
    [InlineData("a = 2*3", 1, 6, "forbidden character '*' in unquoted text; put text containing it in double quotes")]
    [InlineData("a = x&y", 1, 6, "forbidden character '&' in unquoted text; put text containing it in double quotes")]
    [InlineData("a = x^y", 1, 6, "forbidden character '^' in unquoted text; put text containing it in double quotes")]
    [InlineData("a = c:\\dir", 1, 6, "expected ',' or newline after the value of 'a', found ':'")]
    [InlineData("a = x\\y", 1, 6, "forbidden character '\\' in unquoted text; put text containing it in double quotes")]
    [InlineData("a = $x", 1, 5, "expected '{' after '$' (substitutions are written ${path}); put text containing '$' in double quotes")]
    [InlineData("a = 1 + 2", 1, 7, "expected '=' after '+' (the append separator is '+='); put text containing '+' in double quotes")]
    [InlineData("a = b : c", 1, 7, "expected ',' or newline after the value of 'a', found ':'")]
    public void ForbiddenCharactersInUnquotedText(string text, int line, int column, string reason) => AssertError(ParseError(text), line, column, reason);

    [Theory]
    [InlineData("a = ${b", 1, 5, "unterminated substitution '${b': expected '}' before end of file")]
    [InlineData("a = ${b.c\nc = 1", 1, 5, "unterminated substitution '${b.c': expected '}' before newline")]
    [InlineData("a = ${?b ", 1, 5, "unterminated substitution '${?b': expected '}' before end of file")]
    [InlineData("a = ${}", 1, 5, "substitution '${}' has an empty path")]
    [InlineData("a = ${ }", 1, 5, "substitution '${ }' has an empty path")]
    [InlineData("a = ${a..b}", 1, 5, "invalid path in substitution '${a..b}': empty path element (quote it as \"\" if an empty key is meant)")]
    [InlineData("a = ${a:b}", 1, 8, "expected '}' to close substitution '${', found ':'")]
    [InlineData("a = ${a${b}}", 1, 8, "expected '}' to close substitution '${', found '$'")]
    [InlineData("a = ${ ?b}", 1, 8, "expected '}' to close substitution '${', found '?'")]
    public void BadSubstitutions(string text, int line, int column, string reason) => AssertError(ParseError(text), line, column, reason);

    private const string IncludeTarget = "expected a quoted file name, file(\"...\"), classpath(\"...\") or required(...) after 'include', found ";

    [Theory]
    [InlineData("include foo", 1, 9, IncludeTarget + "'foo'")]
    [InlineData("include 5", 1, 9, IncludeTarget + "number 5")]
    [InlineData("include ${x}", 1, 9, IncludeTarget + "substitution ${x}")]
    [InlineData("include = 1", 1, 9, IncludeTarget + "'='")]
    [InlineData("include", 1, 8, IncludeTarget + "end of file")]
    [InlineData("include required(foo)", 1, 9, IncludeTarget + "'required(foo)'")]
    [InlineData("include file(required(\"x\"))", 1, 9, IncludeTarget + "'file(required('")]
    [InlineData("include required(\"x\"", 1, 21, "expected ')' to close 'required(' in include, found end of file")]
    [InlineData("include required(file(\"x\")", 1, 27, "expected ')' to close 'required(' in include, found end of file")]
    [InlineData("include required(\"x\"))", 1, 22, "expected ',' or newline after include \"x\", found ')'")]
    [InlineData("include \"x\" junk", 1, 13, "expected ',' or newline after include \"x\", found 'junk'")]
    [InlineData("include \"x\" \"y\"", 1, 13, "expected ',' or newline after include \"x\", found quoted string \"y\"")]
    public void IncludeOfANonString(string text, int line, int column, string reason) => AssertError(ParseError(text), line, column, reason);

    [Theory]
    [InlineData("a = [,1]", 1, 6, "expected a value or ']', found ','")]
    [InlineData("a = [1,,2]", 1, 8, "expected a value or ']', found ','")]
    [InlineData("a = [1,2,,]", 1, 10, "expected a value or ']', found ','")]
    [InlineData("a = 1,,b = 2", 1, 7, "expected a key, found ','")]
    [InlineData("{,}", 1, 2, "expected a key or '}', found ','")]
    [InlineData("{ a = 1,, }", 1, 9, "expected a key or '}', found ','")]
    [InlineData(",a = 1", 1, 1, "expected a key, found ','")]
    public void MisplacedCommas(string text, int line, int column, string reason) => AssertError(ParseError(text), line, column, reason);

    [Theory]
    [InlineData("a..b = 1", 1, 1, "invalid key 'a..b': empty path element (quote it as \"\" if an empty key is meant)")]
    [InlineData("x = 1\n  .a = 1", 2, 3, "invalid key '.a': empty path element (quote it as \"\" if an empty key is meant)")]
    [InlineData("a. = 1", 1, 1, "invalid key 'a.': empty path element (quote it as \"\" if an empty key is meant)")]
    [InlineData("${a} = 1", 1, 1, "expected a key, found substitution ${a} (substitutions are not allowed in keys)")]
    [InlineData("{ [1] = 2 }", 1, 3, "expected a key or '}', found '['")]
    public void InvalidKeys(string text, int line, int column, string reason) => AssertError(ParseError(text), line, column, reason);

    [Theory]
    [InlineData("\n  [1,2]", 2, 3, "the root of a configuration must be an object, found an array")]
    [InlineData("a = 1e999", 1, 5, "number 1e999 is out of range")]
    [InlineData("a = -1e999", 1, 5, "number -1e999 is out of range")]
    public void OtherValueErrors(string text, int line, int column, string reason) => AssertError(ParseError(text), line, column, reason);

    [Fact]
    public void DeepNestingIsRejectedBeforeTheStackRunsOut()
    {
        AssertError(ParseError("a = " + new string('[', 5000)), 1, 205, "objects and arrays nest deeper than 200 levels");
        AssertError(ParseError(string.Concat(Enumerable.Repeat("a {", 300))), 1, 603, "objects and arrays nest deeper than 200 levels");
        Assert.Equal(1, Parse("a = " + new string('[', 150) + "1" + new string(']', 150)).GetValue("a")!.Render().Count(c => c == '1'));
    }

    [Fact]
    public void ErrorsReportTheFirstProblemInTheFile()
    {
        // The lexer runs on demand, so a later lexical error does not mask an earlier syntax error.
        AssertError(ParseError("a = }\nb = \"unterminated"), 1, 5, "expected a value after '=' for key 'a', found '}'");
    }

    [Fact]
    public void LinesAndColumnsCountFromOneAcrossCommentsAndMultiLineStrings()
    {
        AssertError(ParseError("# comment\n// another\na = \"\"\"x\n y\"\"\"\n   b = !"), 5, 8,
            "forbidden character '!' in unquoted text; put text containing it in double quotes");
    }
}
