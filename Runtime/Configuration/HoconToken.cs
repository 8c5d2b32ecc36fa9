namespace IommuSim.Runtime.Configuration;

/// <summary>
/// One lexical token: a slice of the source plus what the parser needs. A struct holding line and column
/// rather than a <see cref="ConfigPosition"/>: most tokens (whitespace, separators) never need a position
/// object, and parsing allocates per token otherwise.
/// </summary>
internal readonly struct HoconToken(HoconTokenKind kind, string source, int start, int length, string origin, int line, int column)
{
    private readonly string _source = source;
    private readonly string _origin = origin;

    public HoconTokenKind Kind { get; } = kind;

    public int Line { get; } = line;

    public int Column { get; } = column;

    /// <summary>Where the token starts and ends in the source (end exclusive).</summary>
    public int Start => start;

    public int End => start + length;

    /// <summary>The decoded content of a quoted string.</summary>
    public string Value { get; init; } = string.Empty;

    /// <summary>The path of a substitution.</summary>
    public string[] Path { get; init; } = [];

    public bool Optional { get; init; }

    public ConfigPosition Position => new(_origin, Line, Column);

    /// <summary>The token as written in the source.</summary>
    public ReadOnlySpan<char> Span => _source.AsSpan(start, length);

    /// <summary>The token as written (allocates; use <see cref="Span"/> to compare).</summary>
    public string Text => _source.Substring(start, length);

    /// <summary>Tokens that can be part of a value (and so of a value concatenation).</summary>
    public bool StartsValue => Kind is HoconTokenKind.QuotedString or HoconTokenKind.UnquotedText or HoconTokenKind.Number
        or HoconTokenKind.True or HoconTokenKind.False or HoconTokenKind.Null or HoconTokenKind.Substitution
        or HoconTokenKind.OpenBrace or HoconTokenKind.OpenBracket;

    /// <summary>Tokens that can be part of a key's path expression.</summary>
    public bool IsKeyPiece => Kind is HoconTokenKind.QuotedString or HoconTokenKind.UnquotedText or HoconTokenKind.Number
        or HoconTokenKind.True or HoconTokenKind.False or HoconTokenKind.Null;

    public void AppendTo(System.Text.StringBuilder builder) => builder.Append(_source, start, length);

    /// <summary>How the token is named in "found ..." parts of error messages.</summary>
    public string Describe() => Kind switch
    {
        HoconTokenKind.EndOfFile => "end of file",
        HoconTokenKind.Newline => "newline",
        HoconTokenKind.Whitespace => "whitespace",
        HoconTokenKind.QuotedString => "quoted string " + Shorten(Text),
        HoconTokenKind.UnquotedText => "'" + Shorten(Text) + "'",
        HoconTokenKind.Number => "number " + Text,
        HoconTokenKind.Substitution => "substitution " + Shorten(Text),
        _ => "'" + Text + "'",
    };

    private static string Shorten(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 37), "...");
}
