namespace IommuSim.Runtime.Configuration;

/// <summary>
/// A value concatenation that contains a substitution, so its type (string, array or object) is only known
/// once the substitutions are resolved. Concatenations without substitutions are folded by the parser.
/// </summary>
/// <param name="separators">The whitespace written before each piece (the first entry is always empty).</param>
/// <param name="isAppend">True for the <c>${?a} [v]</c> that <c>a += v</c> stands for; later appends extend its array.</param>
internal sealed class ConcatenationNode(Node[] pieces, string[] separators, bool isAppend = false) : Node(pieces[0].Position)
{
    public Node[] Pieces { get; } = pieces;

    public string[] Separators { get; } = separators;

    public bool IsAppend { get; } = isAppend;

    public override NodeShape Shape => NodeShape.Unresolved;
}
