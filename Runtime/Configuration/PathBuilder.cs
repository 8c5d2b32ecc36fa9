using System.Text;

namespace IommuSim.Runtime.Configuration;

/// <summary>
/// Builds a path from the pieces of a path expression (a key or the inside of <c>${...}</c>): dots in
/// unquoted pieces and numbers separate elements, dots in quoted pieces do not, and whitespace between
/// pieces is kept. An element may be empty only if it was written as a quoted string.
/// </summary>
internal sealed class PathBuilder
{
    private readonly List<string> _elements = [];
    private readonly StringBuilder _current = new();
    private bool _hasContent;
    private bool _emptyElement;

    public bool IsEmpty => _elements.Count == 0 && _current.Length == 0 && !_hasContent;

    public void AppendQuoted(string text)
    {
        _current.Append(text);
        _hasContent = true;
    }

    public void AppendWhitespace(string whitespace) => _current.Append(whitespace);

    public void AppendUnquoted(string text)
    {
        int segmentStart = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '.')
            {
                AppendSegment(text, segmentStart, i);
                EndElement();
                segmentStart = i + 1;
            }
        }

        AppendSegment(text, segmentStart, text.Length);
    }

    /// <summary>The path, or null with <paramref name="error"/> set when an element is empty.</summary>
    public string[]? Finish(out string? error)
    {
        EndElement();
        if (_emptyElement)
        {
            error = "empty path element (quote it as \"\" if an empty key is meant)";
            return null;
        }

        error = null;
        return [.. _elements];
    }

    private void AppendSegment(string text, int start, int end)
    {
        if (end > start)
        {
            _current.Append(text, start, end - start);
            _hasContent = true;
        }
    }

    private void EndElement()
    {
        _emptyElement |= !_hasContent;
        _elements.Add(_current.ToString());
        _current.Clear();
        _hasContent = false;
    }
}
