using System.Globalization;
using System.Text;

namespace IommuSim.Runtime.Configuration;

/// <summary>
/// Writes resolved values back as HOCON. Strings are always quoted, so the output parses back to the same
/// values (the round trip is what makes the dump trustworthy as --help/debug output).
/// </summary>
internal static class ConfigRenderer
{
    private const string Indent = "  ";

    public static string Render(ConfigValue value)
    {
        var builder = new StringBuilder();
        Write(builder, value, 0);
        return builder.ToString();
    }

    /// <summary>The fields of a root object, one per line, without the enclosing braces.</summary>
    public static string RenderRoot(ConfigObject root)
    {
        var builder = new StringBuilder();
        foreach (var (key, value) in root)
        {
            WriteField(builder, key, value, 0);
        }

        return builder.ToString();
    }

    public static string Quote(string text)
    {
        var builder = new StringBuilder(text.Length + 2);
        builder.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                default:
                    if (c < ' ')
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.Append('"').ToString();
    }

    private static void WriteField(StringBuilder builder, string key, ConfigValue value, int depth)
    {
        AppendIndent(builder, depth);
        builder.Append(ConfigPath.RenderElement(key));
        builder.Append(value is ConfigObject { Count: > 0 } ? " " : " = ");
        Write(builder, value, depth);
        builder.Append('\n');
    }

    private static void Write(StringBuilder builder, ConfigValue value, int depth)
    {
        switch (value)
        {
            case ConfigObject obj when obj.Count == 0:
                builder.Append("{}");
                break;
            case ConfigObject obj:
                builder.Append("{\n");
                foreach (var (key, child) in obj)
                {
                    WriteField(builder, key, child, depth + 1);
                }

                AppendIndent(builder, depth);
                builder.Append('}');
                break;
            case ConfigArray array:
                WriteArray(builder, array, depth);
                break;
            case ConfigString text:
                builder.Append(Quote(text.Value));
                break;
            case ConfigNumber number:
                builder.Append(number.Text);
                break;
            case ConfigBoolean boolean:
                builder.Append(boolean.Text);
                break;
            default:
                builder.Append("null");
                break;
        }
    }

    private static void WriteArray(StringBuilder builder, ConfigArray array, int depth)
    {
        if (array.Count == 0)
        {
            builder.Append("[]");
            return;
        }

        if (array.All(item => item is not (ConfigObject or ConfigArray)))
        {
            builder.Append('[');
            for (int i = 0; i < array.Count; i++)
            {
                if (i > 0)
                {
                    builder.Append(", ");
                }

                Write(builder, array[i], depth);
            }

            builder.Append(']');
            return;
        }

        builder.Append("[\n");
        for (int i = 0; i < array.Count; i++)
        {
            AppendIndent(builder, depth + 1);
            Write(builder, array[i], depth + 1);
            builder.Append(i + 1 < array.Count ? ",\n" : "\n");
        }

        AppendIndent(builder, depth);
        builder.Append(']');
    }

    private static void AppendIndent(StringBuilder builder, int depth)
    {
        for (int i = 0; i < depth; i++)
        {
            builder.Append(Indent);
        }
    }
}
