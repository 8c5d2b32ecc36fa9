namespace IommuSim.Runtime.Configuration;

/// <summary>
/// <c>include "x"</c>, <c>include file("x")</c>, <c>include classpath("x")</c> and <c>include required(...)</c>
/// around any of them. The included object's fields are merged in place of the statement, exactly as if
/// they had been written there.
/// </summary>
internal sealed partial class HoconParser
{
    /// <summary>Parses an include statement and merges what it includes into <paramref name="target"/>; returns the included name.</summary>
    private string ParseInclude(ObjectNode target)
    {
        var keyword = Take();
        SkipWhitespaceAndNewlines();
        var (kind, name, required) = ParseIncludeTarget();

        // Substitutions in the included source are looked up relative to where it is included first.
        string[]? includeBase = CurrentPath;
        foreach (var source in _includes.Resolve(kind, name, required, keyword.Position))
        {
            var included = ParseIncluded(source, includeBase);
            foreach (string key in included.Keys)
            {
                SetMerged(target, key, included[key]);
            }
        }

        return name;
    }

    private (IncludeKind Kind, string Name, bool Required) ParseIncludeTarget()
    {
        var kind = IncludeKind.Heuristic;
        bool kindGiven = false;
        bool required = false;
        var opened = new List<string>();
        string name;
        while (true)
        {
            var token = Peek();
            if (token.Kind == HoconTokenKind.QuotedString)
            {
                Take();
                name = token.Value;
                break;
            }

            if (token.Kind != HoconTokenKind.UnquotedText)
            {
                throw ExpectedIncludeTarget(token);
            }

            // "required(file(" lexes as one unquoted token, since '(' may appear in unquoted text.
            var rest = token.Span;
            while (rest.Length > 0)
            {
                if (!required && !kindGiven && rest.StartsWith("required(", StringComparison.Ordinal))
                {
                    required = true;
                    opened.Add("required(");
                    rest = rest["required(".Length..];
                }
                else if (!kindGiven && TryReadKind(ref rest, out kind, out string function))
                {
                    kindGiven = true;
                    opened.Add(function);
                }
                else
                {
                    throw ExpectedIncludeTarget(token);
                }
            }

            Take();
            SkipWhitespaceAndNewlines();
        }

        int closed = 0;
        while (closed < opened.Count)
        {
            SkipWhitespaceAndNewlines();
            var token = Peek();
            if (token.Kind != HoconTokenKind.UnquotedText || token.Span.ContainsAnyExcept(')'))
            {
                throw Error(token, $"expected ')' to close '{opened[opened.Count - 1 - closed]}' in include, found {token.Describe()}");
            }

            // "))" lexes as one token; a ')' beyond the ones opened is reported where it stands.
            int needed = opened.Count - closed;
            int count = token.Span.Length;
            if (count > needed)
            {
                var extra = token.Position with { Column = token.Column + needed };
                throw new HoconParseException(extra, $"expected ',' or newline after include \"{name}\", found ')'");
            }

            Take();
            closed += count;
        }

        return (kind, name, required);
    }

    private static bool TryReadKind(ref ReadOnlySpan<char> text, out IncludeKind kind, out string function)
    {
        foreach (var (prefix, candidate) in KindPrefixes)
        {
            if (text.StartsWith(prefix, StringComparison.Ordinal))
            {
                text = text[prefix.Length..];
                kind = candidate;
                function = prefix;
                return true;
            }
        }

        kind = IncludeKind.Heuristic;
        function = string.Empty;
        return false;
    }

    private static readonly (string Prefix, IncludeKind Kind)[] KindPrefixes =
    [
        ("file(", IncludeKind.File),
        ("classpath(", IncludeKind.Classpath),
        ("url(", IncludeKind.Url),
    ];

    private static HoconParseException ExpectedIncludeTarget(HoconToken token) =>
        Error(token, "expected a quoted file name, file(\"...\"), classpath(\"...\") or required(...) after 'include', "
            + $"found {token.Describe()}");
}
