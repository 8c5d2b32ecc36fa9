namespace IommuSim.Runtime.Configuration;

/// <summary>Quoted strings, triple-quoted strings and substitutions.</summary>
internal sealed partial class HoconLexer
{
    private const string EscapeList = "\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX";

    private HoconToken LexQuoted()
    {
        int start = _index;
        int line = _line;
        int column = _column;
        if (CharAt(_index + 1) == '"' && CharAt(_index + 2) == '"')
        {
            return LexTripleQuoted(start, line, column);
        }

        string value = ReadQuotedValue(line, column);
        return Token(HoconTokenKind.QuotedString, start, line, column) with { Value = value };
    }

    /// <summary>Reads a JSON string starting at the opening quote (at <paramref name="line"/>:<paramref name="column"/>); returns the decoded value.</summary>
    private string ReadQuotedValue(int line, int column)
    {
        Advance(1);
        int runStart = _index;
        SkipPlainCharacters();
        if (CharAt(_index) == '"')
        {
            // No escapes: the common case needs no buffer.
            Advance(1);
            return _text.Substring(runStart, _index - 1 - runStart);
        }

        _buffer.Clear();
        while (true)
        {
            _buffer.Append(_text, runStart, _index - runStart);
            if (AtEnd)
            {
                throw new HoconParseException(At(line, column), "unterminated quoted string: expected a closing '\"' before end of file");
            }

            char c = _text[_index];
            if (c == '"')
            {
                Advance(1);
                return _buffer.ToString();
            }

            if (c == '\n')
            {
                throw new HoconParseException(At(line, column),
                    "unterminated quoted string: expected a closing '\"' before end of line (use \\n or \"\"\" for multi-line text)");
            }

            if (c != '\\')
            {
                throw new HoconParseException(Here(),
                    $"control character U+{(int)c:X4} must be escaped in a quoted string; expected one of {EscapeList}");
            }

            ReadEscape(line, column);
            runStart = _index;
            SkipPlainCharacters();
        }
    }

    // Characters that stand for themselves in a quoted string; none of them is a newline.
    private void SkipPlainCharacters()
    {
        int start = _index;
        while (_index < _text.Length && _text[_index] is not ('"' or '\\') && _text[_index] >= ' ')
        {
            _index++;
        }

        _column += _index - start;
    }

    private void ReadEscape(int line, int column)
    {
        int escapeLine = _line;
        int escapeColumn = _column;
        Advance(1);
        if (AtEnd)
        {
            throw new HoconParseException(At(line, column), "unterminated quoted string: expected a closing '\"' before end of file");
        }

        char c = _text[_index];
        char? simple = c switch
        {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\b',
            'f' => '\f',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            _ => null,
        };
        if (simple is char decoded)
        {
            Advance(1);
            _buffer.Append(decoded);
            return;
        }

        if (c != 'u')
        {
            string found = c > ' ' && !IsWhitespace(c) ? $"'\\{c}'" : $"'\\' followed by {DescribeChar(_index)}";
            throw new HoconParseException(At(escapeLine, escapeColumn), $"invalid escape {found} in quoted string; expected one of {EscapeList}");
        }

        int code = 0;
        for (int i = 1; i <= 4; i++)
        {
            int digit = HexValue(CharAt(_index + i));
            if (digit < 0)
            {
                throw new HoconParseException(At(escapeLine, escapeColumn),
                    $"invalid escape '\\u': expected 4 hex digits, found {DescribeChar(_index + i)}");
            }

            code = (code * 16) + digit;
        }

        Advance(5);
        _buffer.Append((char)code);
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    /// <summary>
    /// Everything up to the first run of three or more quotes is taken verbatim; quotes beyond the last three
    /// of that run belong to the string (as in Scala: <c>"""foo""""</c> is <c>foo"</c>).
    /// </summary>
    private HoconToken LexTripleQuoted(int start, int line, int column)
    {
        int contentStart = start + 3;
        int close = _text.IndexOf("\"\"\"", contentStart, StringComparison.Ordinal);
        if (close < 0)
        {
            throw new HoconParseException(At(line, column), "unterminated triple-quoted string: expected a closing \"\"\" before end of file");
        }

        int runEnd = close + 3;
        while (runEnd < _text.Length && _text[runEnd] == '"')
        {
            runEnd++;
        }

        string value = _text[contentStart..(runEnd - 3)];
        while (_index < runEnd)
        {
            Advance();
        }

        return Token(HoconTokenKind.QuotedString, start, line, column) with { Value = value };
    }

    private HoconToken LexSubstitution()
    {
        int start = _index;
        int line = _line;
        int column = _column;
        Advance(2);
        bool optional = CharAt(_index) == '?';
        if (optional)
        {
            Advance(1);
        }

        var path = new PathBuilder();
        bool pendingWhitespace = false;
        int whitespaceStart = 0;
        while (true)
        {
            if (AtEnd || _text[_index] == '\n')
            {
                throw new HoconParseException(At(line, column),
                    $"unterminated substitution '{_text[start.._index].TrimEnd()}': expected '}}' before {DescribeChar(_index)}");
            }

            char c = _text[_index];
            if (c == '}')
            {
                Advance(1);
                break;
            }

            if (IsWhitespace(c))
            {
                // Whitespace inside a path is kept, but not at its start or end.
                whitespaceStart = _index;
                LexWhitespace();
                pendingWhitespace = !path.IsEmpty;
                continue;
            }

            if (pendingWhitespace)
            {
                path.AppendWhitespace(_text[whitespaceStart.._index]);
                pendingWhitespace = false;
            }

            if (c == '"')
            {
                path.AppendQuoted(ReadQuotedValue(_line, _column));
            }
            else if (StartsNumber(_index))
            {
                int numberStart = _index;
                LexNumber();
                path.AppendUnquoted(_text[numberStart.._index]);
            }
            else if (IsForbidden(c) || (c == '/' && CharAt(_index + 1) == '/'))
            {
                throw new HoconParseException(Here(), $"expected '}}' to close substitution '${{', found '{c}'");
            }
            else
            {
                int end = ScanUnquoted(_index);
                path.AppendUnquoted(_text[_index..end]);
                Advance(end - _index);
            }
        }

        string text = _text[start.._index];
        if (path.IsEmpty)
        {
            throw new HoconParseException(At(line, column), $"substitution '{text}' has an empty path");
        }

        string[]? elements = path.Finish(out string? error);
        if (elements is null)
        {
            throw new HoconParseException(At(line, column), $"invalid path in substitution '{text}': {error}");
        }

        return Token(HoconTokenKind.Substitution, start, line, column) with { Path = elements, Optional = optional };
    }

    private ConfigPosition At(int line, int column) => new(_origin, line, column);
}
