namespace IommuSim.Runtime.Configuration;

internal enum HoconTokenKind
{
    EndOfFile,
    /// <summary>An ASCII newline; the only whitespace that separates fields and array elements.</summary>
    Newline,
    /// <summary>A run of non-newline whitespace; kept because it is preserved inside string concatenations.</summary>
    Whitespace,
    Comma,
    Colon,
    Equals,
    PlusEquals,
    OpenBrace,
    CloseBrace,
    OpenBracket,
    CloseBracket,
    QuotedString,
    UnquotedText,
    Number,
    True,
    False,
    Null,
    Substitution,
}
