namespace IommuSim.Runtime.Configuration;

/// <summary>Quoted strings, triple-quoted strings and substitutions.</summary>
internal sealed partial class HoconLexer
{
    private const string EscapeList = "\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX";

    private HoconToken LexQuoted()
    {
        var position = Here();
        int start = _index;
        if (CharAt(_index + 1) == '"' && CharAt(_index + 2) == '"')
        {
            return LexTripleQuoted(position, start);
        }

        string value = ReadQuotedValue(position);
        return new HoconToken(HoconTokenKind.QuotedString, _text[start.._index], position) { Value = value };
    }

    /// <summary>Reads a JSON string starting at the opening quote; returns the decoded value.</summary>
    private string ReadQuotedValue(ConfigPosition opening)
    {
        Advance(1);
        _buffer.Clear();
        while (true)
        {
            int runStart = _index;
            while (!AtEnd && _text[_index] is not ('"' or '\\') && _text[_index] >= ' ')
            {
                _index++;
            }

            _column += _index - runStart;
            _buffer.Append(_text, runStart, _index - runStart);
            if (AtEnd)
            {
                throw new HoconParseException(opening, "unterminated quoted string: expected a closing '\"' before end of file");
            }

            char c = _text[_index];
            if (c == '"')
            {
                Advance(1);
                return _buffer.ToString();
            }

            if (c == '\n')
            {
                throw new HoconParseException(opening,
                    "unterminated quoted string: expected a closing '\"' before end of line (use \\n or \"\"\" for multi-line text)");
            }

            if (c != '\\')
            {
                throw new HoconParseException(Here(),
                    $"control character U+{(int)c:X4} must be escaped in a quoted string; expected one of {EscapeList}");
            }

            ReadEscape(opening);
        }
    }

    private void ReadEscape(ConfigPosition opening)
    {
        var position = Here();
        Advance(1);
        if (AtEnd)
        {
            throw new HoconParseException(opening, "unterminated quoted string: expected a closing '\"' before end of file");
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
            throw new HoconParseException(position, $"invalid escape {found} in quoted string; expected one of {EscapeList}");
        }

        int code = 0;
        for (int i = 1; i <= 4; i++)
        {
            int digit = HexValue(CharAt(_index + i));
            if (digit < 0)
            {
                throw new HoconParseException(position,
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
    private HoconToken LexTripleQuoted(ConfigPosition position, int start)
    {
        int contentStart = start + 3;
        int close = _text.IndexOf("\"\"\"", contentStart, StringComparison.Ordinal);
        if (close < 0)
        {
            throw new HoconParseException(position, "unterminated triple-quoted string: expected a closing \"\"\" before end of file");
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

        return new HoconToken(HoconTokenKind.QuotedString, _text[start..runEnd], position) { Value = value };
    }

    private HoconToken LexSubstitution()
    {
        var position = Here();
        int start = _index;
        Advance(2);
        bool optional = CharAt(_index) == '?';
        if (optional)
        {
            Advance(1);
        }

        var path = new PathBuilder();
        string? pendingWhitespace = null;
        while (true)
        {
            if (AtEnd || _text[_index] == '\n')
            {
                throw new HoconParseException(position,
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
                string whitespace = LexWhitespace().Text;
                pendingWhitespace = path.IsEmpty ? null : whitespace;
                continue;
            }

            if (pendingWhitespace is not null)
            {
                path.AppendWhitespace(pendingWhitespace);
                pendingWhitespace = null;
            }

            if (c == '"')
            {
                path.AppendQuoted(ReadQuotedValue(Here()));
            }
            else if (StartsNumber(_index))
            {
                path.AppendUnquoted(LexNumber().Text);
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
            throw new HoconParseException(position, $"substitution '{text}' has an empty path");
        }

        string[]? elements = path.Finish(out string? error);
        if (elements is null)
        {
            throw new HoconParseException(position, $"invalid path in substitution '{text}': {error}");
        }

        return new HoconToken(HoconTokenKind.Substitution, text, position) { Path = elements, Optional = optional };
    }
}
