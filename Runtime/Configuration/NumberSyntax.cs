namespace IommuSim.Runtime.Configuration;

/// <summary>The JSON number grammar, shared by the lexer and by string-to-number conversion.</summary>
internal static class NumberSyntax
{
    /// <summary>
    /// Returns the end of the longest JSON number starting at <paramref name="start"/>, or
    /// <paramref name="start"/> when none starts there. Optional parts (fraction, exponent) are only taken
    /// when complete, so "5e" scans as "5" and "1." as "1" (the rest is then unquoted text).
    /// </summary>
    public static int Scan(string text, int start)
    {
        int i = start;
        if (i < text.Length && text[i] == '-')
        {
            i++;
        }

        int digitsStart = i;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        if (i == digitsStart)
        {
            return start;
        }

        if (i + 1 < text.Length && text[i] == '.' && char.IsAsciiDigit(text[i + 1]))
        {
            i += 2;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
        }

        if (i < text.Length && (text[i] == 'e' || text[i] == 'E'))
        {
            int exponent = i + 1;
            if (exponent < text.Length && (text[exponent] == '+' || text[exponent] == '-'))
            {
                exponent++;
            }

            if (exponent < text.Length && char.IsAsciiDigit(text[exponent]))
            {
                i = exponent + 1;
                while (i < text.Length && char.IsAsciiDigit(text[i]))
                {
                    i++;
                }
            }
        }

        return i;
    }

    /// <summary>True when the whole of <paramref name="text"/> is one JSON number.</summary>
    public static bool IsNumber(string text) => text.Length > 0 && Scan(text, 0) == text.Length;
}
