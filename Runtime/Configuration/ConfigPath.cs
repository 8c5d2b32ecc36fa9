using System.Text;

namespace IommuSim.Runtime.Configuration;

/// <summary>
/// Dot-separated paths as used by the getters: <c>a."b.c".d</c> has three elements. Quoted elements use
/// JSON escapes; an element may only be empty when quoted (<c>a."".b</c>).
/// </summary>
internal static class ConfigPath
{
    public static string[] Parse(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!path.Contains('"'))
        {
            string[] simple = path.Split('.');
            foreach (string element in simple)
            {
                if (element.Length == 0)
                {
                    throw InvalidPath(path);
                }
            }

            return simple;
        }

        var elements = new List<string>();
        var current = new StringBuilder();
        bool hasContent = false;
        for (int i = 0; i < path.Length; i++)
        {
            char c = path[i];
            if (c == '.')
            {
                if (!hasContent)
                {
                    throw InvalidPath(path);
                }

                elements.Add(current.ToString());
                current.Clear();
                hasContent = false;
            }
            else if (c == '"')
            {
                i = ReadQuoted(path, i + 1, current);
                hasContent = true;
            }
            else
            {
                current.Append(c);
                hasContent = true;
            }
        }

        if (!hasContent)
        {
            throw InvalidPath(path);
        }

        elements.Add(current.ToString());
        return [.. elements];
    }

    /// <summary>Renders a path so that <see cref="Parse"/> and HOCON keys read it back unchanged.</summary>
    public static string Render(IEnumerable<string> elements) => string.Join('.', elements.Select(RenderElement));

    public static string RenderElement(string element)
    {
        if (element.Length == 0 || element == "include" || !IsPlain(element))
        {
            return ConfigRenderer.Quote(element);
        }

        return element;
    }

    // Plain elements read back identically both as a getter path and as an unquoted HOCON key.
    private static bool IsPlain(string element)
    {
        if (!char.IsAsciiLetter(element[0]) && element[0] != '_')
        {
            return false;
        }

        foreach (char c in element)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '-')
            {
                return false;
            }
        }

        return true;
    }

    private static int ReadQuoted(string path, int index, StringBuilder into)
    {
        for (int i = index; i < path.Length; i++)
        {
            char c = path[i];
            if (c == '"')
            {
                return i;
            }

            if (c == '\\' && i + 1 < path.Length)
            {
                i++;
                char escaped = path[i];
                into.Append(escaped switch
                {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    'b' => '\b',
                    'f' => '\f',
                    _ => escaped,
                });
                continue;
            }

            into.Append(c);
        }

        throw new ConfigException($"invalid path '{path}': unterminated quoted element");
    }

    private static ConfigException InvalidPath(string path) =>
        new($"invalid path '{path}': empty path element (quote it as \"\" if an empty key is meant)");
}
