namespace IommuSim.Runtime.Configuration;

/// <summary>
/// Recursive-descent HOCON parser producing unresolved <see cref="Node"/> trees. Duplicate keys, dotted keys
/// and includes are merged while parsing; substitutions are left for <see cref="Resolver"/>.
/// </summary>
internal sealed partial class HoconParser
{
    private const int MaxNesting = 200;

    private readonly HoconLexer _lexer;
    private readonly List<HoconToken> _lookahead = [];
    private readonly IncludeContext _includes;
    private readonly bool _isInclude;

    // Where this source's root sits in the whole configuration (non-empty for included files); null when the
    // include statement was inside an array, where objects have no path.
    private readonly string[]? _basePath;

    // Path of the object being parsed relative to this source's root; null inside arrays.
    private string[]? _path = [];
    private int _nesting;

    private HoconParser(string text, string origin, IncludeContext includes, string[]? basePath, bool isInclude)
    {
        _lexer = new HoconLexer(text, origin);
        _includes = includes;
        _basePath = basePath;
        _isInclude = isInclude;
    }

    public static ObjectNode Parse(string text, string origin, IncludeContext includes) =>
        new HoconParser(text, origin, includes, [], isInclude: false).ParseRoot();

    private static ObjectNode ParseIncluded(IncludeSource source, string[]? basePath) =>
        new HoconParser(source.Text, source.Origin, source.Context, basePath, isInclude: true).ParseRoot();

    private ObjectNode ParseRoot()
    {
        SkipWhitespaceAndNewlines();
        var first = Peek();
        if (first.Kind == HoconTokenKind.OpenBracket)
        {
            throw Error(first, _isInclude
                ? "an included file must contain an object, found an array"
                : "the root of a configuration must be an object, found an array");
        }

        if (first.Kind == HoconTokenKind.OpenBrace)
        {
            var root = ParseBracedObject();
            SkipWhitespaceAndNewlines();
            var trailing = Peek();
            if (trailing.Kind != HoconTokenKind.EndOfFile)
            {
                throw Error(trailing, $"expected end of file after the root object, found {trailing.Describe()}");
            }

            return root;
        }

        var implicitRoot = new ObjectNode(new ConfigPosition(_lexer.Origin, 1, 1));
        ParseFields(implicitRoot, open: null);
        return implicitRoot;
    }

    private ObjectNode ParseBracedObject()
    {
        var open = Take();
        Enter(open);
        var result = new ObjectNode(open.Position);
        ParseFields(result, open);
        _nesting--;
        return result;
    }

    /// <summary>Fields up to the closing brace of <paramref name="open"/>, or to end of file for an unbraced root.</summary>
    private void ParseFields(ObjectNode target, HoconToken? open)
    {
        string closer = open is null ? string.Empty : " or '}'";
        while (true)
        {
            SkipWhitespaceAndNewlines();
            var token = Peek();
            if (token.Kind == HoconTokenKind.CloseBrace && open is not null)
            {
                Take();
                return;
            }

            if (token.Kind == HoconTokenKind.EndOfFile)
            {
                if (open is null)
                {
                    return;
                }

                throw Error(token, $"expected '}}' to close the object opened at {At(open)}, found end of file");
            }

            string field = ParseFieldOrInclude(target, closer, open is null);

            // One comma, or a newline, or the end of the object separates fields.
            SkipWhitespace();
            var separator = Peek();
            switch (separator.Kind)
            {
                case HoconTokenKind.Comma:
                    Take();
                    break;
                case HoconTokenKind.Newline:
                case HoconTokenKind.EndOfFile:
                case HoconTokenKind.CloseBrace when open is not null:
                    break;
                default:
                    throw Error(separator, $"expected ',' or newline{closer} after {field}, found {Found(separator, open is null)}");
            }
        }
    }

    /// <summary>Parses one field or include statement into <paramref name="target"/>; returns how to name it in errors.</summary>
    private string ParseFieldOrInclude(ObjectNode target, string closer, bool atRoot)
    {
        var first = Peek();
        if (first.Kind == HoconTokenKind.UnquotedText && first.Text == "include")
        {
            return ParseInclude(target);
        }

        if (!first.IsKeyPiece)
        {
            string hint = first.Kind == HoconTokenKind.Substitution ? " (substitutions are not allowed in keys)" : string.Empty;
            throw Error(first, $"expected a key{closer}, found {Found(first, atRoot)}{hint}");
        }

        var (path, keyText) = ParseKey();
        SkipWhitespace();
        var separator = Peek();
        Node value;
        switch (separator.Kind)
        {
            case HoconTokenKind.OpenBrace:
                value = ParseFieldValue(path, $"for key '{keyText}'");
                break;
            case HoconTokenKind.Colon:
            case HoconTokenKind.Equals:
                Take();
                SkipWhitespaceAndNewlines();
                value = ParseFieldValue(path, $"after '{separator.Text}' for key '{keyText}'");
                break;
            case HoconTokenKind.PlusEquals:
                Take();
                SkipWhitespaceAndNewlines();
                value = Append(path, first, ParseFieldValue(path, $"after '+=' for key '{keyText}'"));
                break;
            default:
                throw Error(separator, $"expected '=' or ':' or '{{' after key '{keyText}', found {separator.Describe()}");
        }

        SetPath(target, path, value, first.Position);
        return $"the value of '{keyText}'";
    }

    private (string[] Path, string Text) ParseKey()
    {
        var first = Peek();
        var builder = new PathBuilder();
        var text = new System.Text.StringBuilder();
        while (true)
        {
            var token = Take();
            text.Append(token.Text);
            if (token.Kind == HoconTokenKind.QuotedString)
            {
                builder.AppendQuoted(token.Value);
            }
            else
            {
                builder.AppendUnquoted(token.Text);
            }

            if (Peek().IsKeyPiece)
            {
                continue;
            }

            // Whitespace between key pieces is part of the key ("a b c" : 1); whitespace after it is not.
            if (Peek().Kind == HoconTokenKind.Whitespace && Peek(1).IsKeyPiece)
            {
                string whitespace = Take().Text;
                builder.AppendWhitespace(whitespace);
                text.Append(whitespace);
                continue;
            }

            break;
        }

        string keyText = text.ToString();
        string[] path = builder.Finish(out string? error) ?? throw Error(first, $"invalid key '{keyText}': {error}");
        return (path, keyText);
    }

    private Node ParseFieldValue(string[] keyPath, string context)
    {
        string[]? saved = _path;
        _path = saved is null ? null : [.. saved, .. keyPath];
        var value = ParseValue(context);
        _path = saved;
        return value;
    }

    /// <summary><c>a += v</c> means <c>a = ${?a} [v]</c>, with <c>a</c> the field's full path in the configuration.</summary>
    private ConcatenationNode Append(string[] keyPath, HoconToken key, Node element)
    {
        if (_path is null || _basePath is null)
        {
            throw Error(key, "'+=' cannot be used in an object inside an array: the field has no path to append to");
        }

        string[] fullPath = [.. _basePath, .. _path, .. keyPath];
        var previous = new SubstitutionNode(key.Position, fullPath, optional: true, prefix: []);
        var array = new ArrayNode(element.Position, [element]);
        return new ConcatenationNode([previous, array], [string.Empty, string.Empty]);
    }

    /// <summary><c>a.b.c = v</c> is <c>a { b { c = v } }</c>, merged with whatever <c>a</c> already holds.</summary>
    private static void SetPath(ObjectNode target, string[] path, Node value, ConfigPosition keyPosition)
    {
        for (int i = path.Length - 1; i > 0; i--)
        {
            var wrapper = new ObjectNode(keyPosition);
            wrapper.Set(path[i], value);
            value = wrapper;
        }

        SetMerged(target, path[0], value);
    }

    private static void SetMerged(ObjectNode target, string key, Node value) =>
        target.Set(key, target.TryGet(key, out var existing) ? NodeMerger.Merge(existing, value, inPlace: true) : value);

    private void Enter(HoconToken open)
    {
        _nesting++;
        if (_nesting > MaxNesting)
        {
            throw Error(open, $"objects and arrays nest deeper than {MaxNesting} levels");
        }

        StackGuard.EnsureStack();
    }

    private HoconToken Peek(int offset = 0)
    {
        while (_lookahead.Count <= offset)
        {
            _lookahead.Add(_lexer.Next());
        }

        return _lookahead[offset];
    }

    private HoconToken Take()
    {
        var token = Peek();
        _lookahead.RemoveAt(0);
        return token;
    }

    private void SkipWhitespace()
    {
        while (Peek().Kind == HoconTokenKind.Whitespace)
        {
            Take();
        }
    }

    private void SkipWhitespaceAndNewlines()
    {
        while (Peek().Kind is HoconTokenKind.Whitespace or HoconTokenKind.Newline)
        {
            Take();
        }
    }

    private static string At(HoconToken token) => $"{token.Position.Line}:{token.Position.Column}";

    private static string Found(HoconToken token, bool atRoot) =>
        atRoot && token.Kind == HoconTokenKind.CloseBrace ? "'}' with no matching '{'" : token.Describe();

    private static HoconParseException Error(HoconToken token, string message) => new(token.Position, message);
}
