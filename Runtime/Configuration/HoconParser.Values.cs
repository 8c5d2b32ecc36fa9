using System.Text;

namespace IommuSim.Runtime.Configuration;

/// <summary>Values: literals, arrays, objects and value concatenation.</summary>
internal sealed partial class HoconParser
{
    /// <summary>
    /// One value, which may be a concatenation of several pieces on the same line. Pieces are joined when
    /// only non-newline whitespace (kept, for strings) separates them. The caller has checked that a value starts here.
    /// </summary>
    private Node ParseValue()
    {
        var piece = ParsePiece();
        List<Node>? pieces = null;
        List<string>? separators = null;
        while (true)
        {
            string separator;
            if (Peek().StartsValue)
            {
                separator = string.Empty;
            }
            else if (Peek().Kind == HoconTokenKind.Whitespace && Peek(1).StartsValue)
            {
                separator = Take().Text;
            }
            else
            {
                break;
            }

            pieces ??= [piece];
            separators ??= [string.Empty];
            separators.Add(separator);
            pieces.Add(ParsePiece());
        }

        return pieces is null ? piece : Concatenate(pieces, separators!);
    }

    private Node ParsePiece()
    {
        var token = Peek();
        switch (token.Kind)
        {
            case HoconTokenKind.OpenBrace:
                return ParseBracedObject();
            case HoconTokenKind.OpenBracket:
                return ParseArray();
            case HoconTokenKind.Substitution:
                Take();
                return new SubstitutionNode(token.Position, token.Path, token.Optional, _basePath ?? []);
            default:
                Take();
                return new ResolvedNode(Literal(token));
        }
    }

    private static ConfigValue Literal(HoconToken token)
    {
        switch (token.Kind)
        {
            case HoconTokenKind.QuotedString:
                return new ConfigString(token.Value, isQuoted: true, token.Position);
            case HoconTokenKind.Number:
                if (!ConfigNumber.TryCreate(token.Text, token.Position, out var number))
                {
                    throw Error(token, $"number {token.Text} is out of range");
                }

                return number;
            case HoconTokenKind.True:
                return new ConfigBoolean(true, token.Position);
            case HoconTokenKind.False:
                return new ConfigBoolean(false, token.Position);
            case HoconTokenKind.Null:
                return new ConfigNull(token.Position);
            default:
                return new ConfigString(token.Text, isQuoted: false, token.Position);
        }
    }

    private ArrayNode ParseArray()
    {
        var open = Take();
        Enter(open);
        _arrayDepth++;
        var elements = new List<Node>();
        while (true)
        {
            SkipWhitespaceAndNewlines();
            var token = Peek();
            if (token.Kind == HoconTokenKind.CloseBracket)
            {
                Take();
                break;
            }

            if (token.Kind == HoconTokenKind.EndOfFile)
            {
                throw Error(token, $"expected ']' to close the array opened at {At(open)}, found end of file");
            }

            if (!token.StartsValue)
            {
                throw Error(token, $"expected a value or ']', found {token.Describe()}");
            }

            elements.Add(ParseValue());
            SkipWhitespace();
            var separator = Peek();
            if (separator.Kind == HoconTokenKind.Comma)
            {
                Take();
            }
            else if (separator.Kind is not (HoconTokenKind.Newline or HoconTokenKind.CloseBracket or HoconTokenKind.EndOfFile))
            {
                throw Error(separator, $"expected ',' or newline or ']' after an array element, found {separator.Describe()}");
            }
        }

        _arrayDepth--;
        _nesting--;
        return new ArrayNode(open.Position, elements);
    }

    /// <summary>
    /// Strings concatenate to a string, arrays to one array, objects merge; mixing them is an error. With a
    /// substitution among the pieces the result type is only known after resolution.
    /// </summary>
    private static Node Concatenate(List<Node> pieces, List<string> separators)
    {
        Node? reference = null;
        bool hasSubstitution = false;
        foreach (var piece in pieces)
        {
            if (piece is SubstitutionNode)
            {
                hasSubstitution = true;
            }
            else if (reference is null)
            {
                reference = piece;
            }
            else if (piece.GetType() != reference.GetType())
            {
                throw new HoconParseException(piece.Position!,
                    $"cannot concatenate {KindOf(reference)} and {KindOf(piece)} in one value; put them on separate lines or separate them with ','");
            }
        }

        if (hasSubstitution)
        {
            return new ConcatenationNode([.. pieces], [.. separators]);
        }

        switch (reference)
        {
            case ArrayNode:
                var elements = new List<Node>();
                foreach (var piece in pieces)
                {
                    elements.AddRange(((ArrayNode)piece).Elements);
                }

                return new ArrayNode(pieces[0].Position, elements);
            case ObjectNode:
                var merged = pieces[0];
                for (int i = 1; i < pieces.Count; i++)
                {
                    merged = NodeMerger.Merge(merged, pieces[i], MergeMode.Parse);
                }

                return merged;
            default:
                var text = new StringBuilder();
                for (int i = 0; i < pieces.Count; i++)
                {
                    text.Append(separators[i]).Append(TextOf(((ResolvedNode)pieces[i]).Value));
                }

                return new ResolvedNode(new ConfigString(text.ToString(), isQuoted: false, pieces[0].Position));
        }
    }

    private static string KindOf(Node piece) => piece switch
    {
        ObjectNode => "an object",
        ArrayNode => "an array",
        ResolvedNode resolved => "a " + resolved.Value.Describe(),
        _ => "a substitution",
    };

    /// <summary>How a simple value reads inside a string concatenation (numbers exactly as written).</summary>
    internal static string TextOf(ConfigValue value) => value switch
    {
        ConfigString text => text.Value,
        ConfigNumber number => number.Text,
        ConfigBoolean boolean => boolean.Text,
        _ => "null",
    };
}
