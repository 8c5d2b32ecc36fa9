using System.Globalization;
using System.Text;

namespace IommuSim.Runtime.Configuration;

/// <summary>
/// Splits HOCON text into tokens on demand, so that the first error reported is the first one in the file.
/// Comments are dropped (the newline that ends them is kept). Needs at most three characters of look-ahead.
/// </summary>
internal sealed partial class HoconLexer
{
    private readonly string _text;
    private readonly string _origin;
    private readonly StringBuilder _buffer = new();
    private int _index;
    private int _line = 1;
    private int _column = 1;

    public HoconLexer(string text, string origin)
    {
        _text = text;
        _origin = origin;
    }

    public string Origin => _origin;

    /// <summary>Source text between two token boundaries, e.g. a whole key for an error message.</summary>
    public string Slice(int start, int end) => _text[start..end];

    public HoconToken Next()
    {
        while (true)
        {
            if (_index >= _text.Length)
            {
                return Token(HoconTokenKind.EndOfFile, _index, _line, _column);
            }

            char c = _text[_index];
            if (c == '\n')
            {
                var newline = Token(HoconTokenKind.Newline, _index, _line, _column, 1);
                Advance();
                return newline;
            }

            if (IsWhitespace(c))
            {
                return LexWhitespace();
            }

            if (c == '#' || (c == '/' && CharAt(_index + 1) == '/'))
            {
                SkipComment();
                continue;
            }

            switch (c)
            {
                case ',': return Single(HoconTokenKind.Comma);
                case ':': return Single(HoconTokenKind.Colon);
                case '=': return Single(HoconTokenKind.Equals);
                case '{': return Single(HoconTokenKind.OpenBrace);
                case '}': return Single(HoconTokenKind.CloseBrace);
                case '[': return Single(HoconTokenKind.OpenBracket);
                case ']': return Single(HoconTokenKind.CloseBracket);
                case '"': return LexQuoted();
                case '+' when CharAt(_index + 1) == '=':
                    var plusEquals = Token(HoconTokenKind.PlusEquals, _index, _line, _column, 2);
                    Advance(2);
                    return plusEquals;
                case '$' when CharAt(_index + 1) == '{':
                    return LexSubstitution();
            }

            if (StartsNumber(_index))
            {
                return LexNumber();
            }

            if (IsForbidden(c))
            {
                throw ForbiddenCharacter(c);
            }

            return LexUnquoted();
        }
    }

    /// <summary>HOCON whitespace: Unicode space/line/paragraph separators, ASCII controls \t..\r, 0x1C..0x1F and the BOM.</summary>
    public static bool IsWhitespace(char c)
    {
        switch (c)
        {
            case ' ':
            case '\t':
            case '\n':
            case '\v':
            case '\f':
            case '\r':
            case '\x1C':
            case '\x1D':
            case '\x1E':
            case '\x1F':
            case '\uFEFF':
                return true;
            default:
                if (c < 128)
                {
                    return false;
                }

                var category = char.GetUnicodeCategory(c);
                return category is UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator
                    or UnicodeCategory.ParagraphSeparator;
        }
    }

    /// <summary>Characters that may not appear in unquoted text (some are reserved for future syntax).</summary>
    public static bool IsForbidden(char c) => c switch
    {
        '$' or '"' or '{' or '}' or '[' or ']' or ':' or '=' or ',' or '+' or '#' or '`' or '^' or '?' or '!' or '@'
            or '*' or '&' or '\\' => true,
        _ => false,
    };

    private ConfigPosition Here() => new(_origin, _line, _column);

    /// <summary>A token starting at <paramref name="start"/> and ending at the current index (or after <paramref name="length"/> characters).</summary>
    private HoconToken Token(HoconTokenKind kind, int start, int line, int column, int length = -1) =>
        new(kind, _text, start, length < 0 ? _index - start : length, _origin, line, column);

    private char CharAt(int index) => index < _text.Length ? _text[index] : '\0';

    private bool AtEnd => _index >= _text.Length;

    private void Advance()
    {
        if (_text[_index] == '\n')
        {
            _line++;
            _column = 1;
        }
        else
        {
            _column++;
        }

        _index++;
    }

    /// <summary>Advances over characters known not to contain a newline.</summary>
    private void Advance(int count)
    {
        _index += count;
        _column += count;
    }

    private HoconToken Single(HoconTokenKind kind)
    {
        var token = Token(kind, _index, _line, _column, 1);
        Advance(1);
        return token;
    }

    private HoconToken LexWhitespace()
    {
        int start = _index;
        int column = _column;
        while (!AtEnd && _text[_index] != '\n' && IsWhitespace(_text[_index]))
        {
            Advance(1);
        }

        return Token(HoconTokenKind.Whitespace, start, _line, column);
    }

    private void SkipComment()
    {
        int end = _text.IndexOf('\n', _index);
        Advance((end < 0 ? _text.Length : end) - _index);
    }

    /// <summary>
    /// A digit, or '-' before a digit. HOCON.md forbids unquoted text to start with what begins a JSON number so
    /// that numbers are never read as text; a '-' that cannot begin a number cannot be confused with one, so
    /// it starts unquoted text (which keeps <c>${prefix}-node</c> and <c>-</c> usable).
    /// </summary>
    private bool StartsNumber(int index) =>
        char.IsAsciiDigit(CharAt(index)) || (CharAt(index) == '-' && char.IsAsciiDigit(CharAt(index + 1)));

    private HoconToken LexNumber()
    {
        int start = _index;
        int column = _column;
        Advance(NumberSyntax.Scan(_text, start) - start);
        return Token(HoconTokenKind.Number, start, _line, column);
    }

    private HoconToken LexUnquoted()
    {
        int start = _index;
        int column = _column;
        foreach (var (keyword, kind) in Keywords)
        {
            if (_text.AsSpan(start).StartsWith(keyword, StringComparison.Ordinal))
            {
                Advance(keyword.Length);
                return Token(kind, start, _line, column);
            }
        }

        Advance(ScanUnquoted(start) - start);
        return Token(HoconTokenKind.UnquotedText, start, _line, column);
    }

    private static readonly (string Keyword, HoconTokenKind Kind)[] Keywords =
    [
        ("true", HoconTokenKind.True),
        ("false", HoconTokenKind.False),
        ("null", HoconTokenKind.Null),
    ];

    /// <summary>Unquoted text runs until whitespace, a forbidden character or the start of a // comment.</summary>
    private int ScanUnquoted(int start)
    {
        int i = start;
        while (i < _text.Length)
        {
            char c = _text[i];
            if (IsForbidden(c) || IsWhitespace(c) || (c == '/' && CharAt(i + 1) == '/'))
            {
                break;
            }

            i++;
        }

        return i;
    }

    private HoconParseException ForbiddenCharacter(char c) =>
        c switch
        {
            '$' => new HoconParseException(Here(),
                "expected '{' after '$' (substitutions are written ${path}); put text containing '$' in double quotes"),
            '+' => new HoconParseException(Here(),
                "expected '=' after '+' (the append separator is '+='); put text containing '+' in double quotes"),
            _ => new HoconParseException(Here(),
                $"forbidden character '{c}' in unquoted text; put text containing it in double quotes"),
        };

    private string DescribeChar(int index)
    {
        if (index >= _text.Length)
        {
            return "end of file";
        }

        char c = _text[index];
        return c switch
        {
            '\n' => "newline",
            _ when c < ' ' => $"U+{(int)c:X4}",
            _ when IsWhitespace(c) => "whitespace",
            _ => $"'{c}'",
        };
    }
}
