using System.Text;

namespace IommuSim.Simulator.Reports.Html;

/// <summary>Escaping for every string the HTML report takes from a <see cref="RunReport"/>, in text and in quoted attributes alike.</summary>
public static class HtmlText
{
    /// <summary>
    /// Escapes &amp; &lt; &gt; " and ' (so the result is safe in element content and in either
    /// kind of quoted attribute), and replaces control characters other than tab and newline, which
    /// HTML does not allow, with U+FFFD.
    /// </summary>
    public static string Escape(string s)
    {
        if (!NeedsEscaping(s)) return s;
        var sb = new StringBuilder(s.Length + 16);
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                '\t' or '\n' => c.ToString(),
                _ when char.IsControl(c) => "\uFFFD",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }

    private static bool NeedsEscaping(string s)
    {
        foreach (var c in s)
        {
            if (c is '&' or '<' or '>' or '"' or '\'' || (char.IsControl(c) && c is not '\t' and not '\n')) return true;
        }
        return false;
    }
}
