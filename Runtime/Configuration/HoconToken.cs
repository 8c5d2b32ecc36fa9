namespace IommuSim.Runtime.Configuration;

/// <summary>
/// One lexical token. <see cref="Text"/> is the source slice; <see cref="Value"/> is the decoded content of a
/// quoted string; <see cref="Path"/> and <see cref="Optional"/> describe a substitution.
/// </summary>
internal sealed class HoconToken(HoconTokenKind kind, string text, ConfigPosition position)
{
    public HoconTokenKind Kind { get; } = kind;

    public string Text { get; } = text;

    public ConfigPosition Position { get; } = position;

    public string Value { get; init; } = text;

    public string[] Path { get; init; } = [];

    public bool Optional { get; init; }

    /// <summary>Tokens that can be part of a value (and so of a value concatenation).</summary>
    public bool StartsValue => Kind is HoconTokenKind.QuotedString or HoconTokenKind.UnquotedText or HoconTokenKind.Number
        or HoconTokenKind.True or HoconTokenKind.False or HoconTokenKind.Null or HoconTokenKind.Substitution
        or HoconTokenKind.OpenBrace or HoconTokenKind.OpenBracket;

    /// <summary>Tokens that can be part of a key's path expression.</summary>
    public bool IsKeyPiece => Kind is HoconTokenKind.QuotedString or HoconTokenKind.UnquotedText or HoconTokenKind.Number
        or HoconTokenKind.True or HoconTokenKind.False or HoconTokenKind.Null;

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
