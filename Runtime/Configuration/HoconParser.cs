namespace IommuSim.Runtime.Configuration;

/// <summary>
/// Recursive-descent HOCON parser producing unresolved <see cref="Node"/> trees. Duplicate keys, dotted keys
/// and includes are merged while parsing; substitutions are left for <see cref="Resolver"/>. Error
/// messages are only formatted when an error occurs, so the happy path allocates little beyond the tree.
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

    // Key path of the object being parsed, relative to this source's root. Objects inside arrays have no
    // path, so it is only meaningful while _arrayDepth is 0.
    private readonly List<string> _path = [];
    private int _arrayDepth;
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

    /// <summary>The full path of the current object in the configuration, or null inside arrays.</summary>
    private string[]? CurrentPath => _arrayDepth == 0 && _basePath is not null ? [.. _basePath, .. _path] : null;

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
        bool atRoot = open is null;
        string closer = atRoot ? string.Empty : " or '}'";
        while (true)
        {
            SkipWhitespaceAndNewlines();
            var token = Peek();
            if (token.Kind == HoconTokenKind.CloseBrace && !atRoot)
            {
                Take();
                return;
            }

            if (token.Kind == HoconTokenKind.EndOfFile)
            {
                if (atRoot)
                {
                    return;
                }

                throw Error(token, $"expected '}}' to close the object opened at {At(open!.Value)}, found end of file");
            }

            var field = ParseFieldOrInclude(target, closer, atRoot);

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
                case HoconTokenKind.CloseBrace when !atRoot:
                    break;
                default:
                    throw Error(separator, $"expected ',' or newline{closer} after {Label(field)}, found {Found(separator, atRoot)}");
            }
        }
    }

    /// <summary>Parses one field or include statement into <paramref name="target"/>; returns what to call it in errors.</summary>
    private FieldLabel ParseFieldOrInclude(ObjectNode target, string closer, bool atRoot)
    {
        var first = Peek();
        if (first.Kind == HoconTokenKind.UnquotedText && first.Span.SequenceEqual("include"))
        {
            return new FieldLabel(0, 0, ParseInclude(target));
        }

        if (!first.IsKeyPiece)
        {
            string hint = first.Kind == HoconTokenKind.Substitution ? " (substitutions are not allowed in keys)" : string.Empty;
            throw Error(first, $"expected a key{closer}, found {Found(first, atRoot)}{hint}");
        }

        string[] path = ParseKey(out int keyEnd);
        var label = new FieldLabel(first.Start, keyEnd, null);
        SkipWhitespace();
        var separator = Peek();
        Node value;
        switch (separator.Kind)
        {
            case HoconTokenKind.OpenBrace:
                value = ParseFieldValue(path);
                break;
            case HoconTokenKind.Colon:
            case HoconTokenKind.Equals:
            case HoconTokenKind.PlusEquals:
                Take();
                SkipWhitespaceAndNewlines();
                if (!Peek().StartsValue)
                {
                    throw Error(Peek(), $"expected a value after '{separator.Text}' for key '{KeyText(label)}', found {Peek().Describe()}");
                }

                value = ParseFieldValue(path);
                if (separator.Kind == HoconTokenKind.PlusEquals)
                {
                    if (TryAppendInPlace(target, path, first, value))
                    {
                        return label;
                    }

                    value = Append(path, first, value);
                }

                break;
            default:
                throw Error(separator, $"expected '=' or ':' or '{{' after key '{KeyText(label)}', found {separator.Describe()}");
        }

        SetPath(target, path, value, first.Position);
        return label;
    }

    /// <summary>A key's path; <paramref name="end"/> is where its last token ends in the source.</summary>
    private string[] ParseKey(out int end)
    {
        var first = Take();
        end = first.End;
        bool single = !Peek().IsKeyPiece && !(Peek().Kind == HoconTokenKind.Whitespace && Peek(1).IsKeyPiece);
        if (single && first.Kind == HoconTokenKind.QuotedString)
        {
            return [first.Value];
        }

        if (single)
        {
            // One unquoted token (or number): dots separate elements. The common case, so no builder.
            string[] elements = first.Text.Split('.');
            if (Array.IndexOf(elements, string.Empty) >= 0)
            {
                throw InvalidKey(first, end, "empty path element (quote it as \"\" if an empty key is meant)");
            }

            return elements;
        }

        var builder = new PathBuilder();
        var token = first;
        while (true)
        {
            if (token.Kind == HoconTokenKind.QuotedString)
            {
                builder.AppendQuoted(token.Value);
            }
            else
            {
                builder.AppendUnquoted(token.Text);
            }

            end = token.End;
            if (Peek().IsKeyPiece)
            {
                token = Take();
            }
            else if (Peek().Kind == HoconTokenKind.Whitespace && Peek(1).IsKeyPiece)
            {
                // Whitespace between key pieces is part of the key ("a b c" : 1); whitespace after it is not.
                builder.AppendWhitespace(Take().Text);
                token = Take();
            }
            else
            {
                break;
            }
        }

        return builder.Finish(out string? error) ?? throw InvalidKey(first, end, error!);
    }

    private HoconParseException InvalidKey(HoconToken first, int end, string reason) =>
        Error(first, $"invalid key '{_lexer.Slice(first.Start, end)}': {reason}");

    private Node ParseFieldValue(string[] keyPath)
    {
        _path.AddRange(keyPath);
        var value = ParseValue();
        _path.RemoveRange(_path.Count - keyPath.Length, keyPath.Length);
        return value;
    }

    /// <summary><c>a += v</c> means <c>a = ${?a} [v]</c>, with <c>a</c> the field's full path in the configuration.</summary>
    private ConcatenationNode Append(string[] keyPath, HoconToken key, Node element)
    {
        string[] fullPath = CurrentPath is { } path
            ? [.. path, .. keyPath]
            : throw AppendInArray(key);
        var previous = new SubstitutionNode(key.Position, fullPath, optional: true, prefix: []);
        var array = new ArrayNode(element.Position, [element]);
        return new ConcatenationNode([previous, array], [string.Empty, string.Empty], isAppend: true);
    }

    /// <summary>
    /// When the object being parsed already holds an array (or an earlier append) at the key, <c>${?a}</c>
    /// would see exactly that value, since an array hides anything below it. Extending it in place keeps
    /// long runs of appends from becoming equally long chains of self-references.
    /// </summary>
    private bool TryAppendInPlace(ObjectNode target, string[] keyPath, HoconToken key, Node element)
    {
        if (CurrentPath is null)
        {
            throw AppendInArray(key);
        }

        Node? existing = target;
        foreach (string name in keyPath)
        {
            existing = existing is ObjectNode obj && obj.TryGet(name, out var child) ? child : null;
        }

        var array = existing switch
        {
            ArrayNode plain => plain,
            ConcatenationNode { IsAppend: true } append => (ArrayNode)append.Pieces[^1],
            _ => null,
        };
        array?.Elements.Add(element);
        return array is not null;
    }

    private static HoconParseException AppendInArray(HoconToken key) =>
        Error(key, "'+=' cannot be used in an object inside an array: the field has no path to append to");

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
        target.Set(key, target.TryGet(key, out var existing) ? NodeMerger.Merge(existing, value, MergeMode.Parse) : value);

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

    private string KeyText(FieldLabel label) => _lexer.Slice(label.KeyStart, label.KeyEnd);

    private string Label(FieldLabel label) =>
        label.Include is { } include ? $"include \"{include}\"" : $"the value of '{KeyText(label)}'";

    private static string At(HoconToken token) => $"{token.Line}:{token.Column}";

    private static string Found(HoconToken token, bool atRoot) =>
        atRoot && token.Kind == HoconTokenKind.CloseBrace ? "'}' with no matching '{'" : token.Describe();

    private static HoconParseException Error(HoconToken token, string message) => new(token.Position, message);

    /// <summary>How to name a parsed field in a later error: its key's source span, or the include's file name.</summary>
    private readonly record struct FieldLabel(int KeyStart, int KeyEnd, string? Include);
}
