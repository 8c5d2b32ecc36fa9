namespace IommuSim.Runtime.Configuration;

/// <summary>
/// <c>include "x"</c>, <c>include file("x")</c>, <c>include classpath("x")</c> and <c>include required(...)</c>
/// around any of them. The included object's fields are merged in place of the statement, exactly as if
/// they had been written there.
/// </summary>
internal sealed partial class HoconParser
{
    private string ParseInclude(ObjectNode target)
    {
        var keyword = Take();
        SkipWhitespaceAndNewlines();
        var (kind, name, required) = ParseIncludeTarget();

        // Substitutions in the included source are looked up relative to where it is included first.
        string[]? includeBase = _basePath is null || _path is null ? null : [.. _basePath, .. _path];
        foreach (var source in _includes.Resolve(kind, name, required, keyword.Position))
        {
            var included = ParseIncluded(source, includeBase);
            foreach (string key in included.Keys)
            {
                SetMerged(target, key, included[key]);
            }
        }

        return $"include \"{name}\"";
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
            var rest = token.Text.AsSpan();
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
            bool closes = token.Kind == HoconTokenKind.UnquotedText && token.Text.All(c => c == ')')
                && closed + token.Text.Length <= opened.Count;
            if (!closes)
            {
                throw Error(token, $"expected ')' to close '{opened[opened.Count - 1 - closed]}' in include, found {token.Describe()}");
            }

            Take();
            closed += token.Text.Length;
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
