using System.Text;

namespace IommuSim.Runtime.Configuration;

/// <summary>Resolution of objects, arrays, concatenations and merge stacks.</summary>
internal sealed partial class Resolver
{
    private ConfigObject ResolveObject(ObjectNode obj, PathTrail? trail)
    {
        var keys = new List<string>(obj.Count);
        var fields = new Dictionary<string, ConfigValue>(obj.Count, StringComparer.Ordinal);
        foreach (string key in obj.Keys)
        {
            var child = obj[key];
            var value = child is ResolvedNode resolved ? resolved.Value : ResolveIn(child, Origin.Field, new PathTrail(trail, key));

            // An undefined optional substitution removes the field (HOCON.md).
            if (value is not null)
            {
                keys.Add(key);
                fields.Add(key, value);
            }
        }

        return new ConfigObject([.. keys], fields, obj.Position, obj.IgnoresFallbacks);
    }

    private ConfigArray ResolveArray(ArrayNode array, PathTrail? trail)
    {
        var items = new List<ConfigValue>(array.Elements.Count);
        for (int i = 0; i < array.Elements.Count; i++)
        {
            var element = array.Elements[i];
            var value = element is ResolvedNode resolved
                ? resolved.Value
                : ResolveIn(element, Origin.ArrayElement, new PathTrail(trail, string.Empty, i));
            if (value is not null)
            {
                items.Add(value);
            }
        }

        return new ConfigArray([.. items], array.Position);
    }

    /// <summary>
    /// Undefined optional pieces drop out; a single remaining piece keeps its type. Otherwise strings join
    /// with the whitespace written between them, arrays concatenate, objects merge (later wins).
    /// </summary>
    private ConfigValue? ResolveConcatenation(ConcatenationNode concatenation, PathTrail? trail)
    {
        var values = new ConfigValue?[concatenation.Pieces.Length];
        ConfigValue? first = null;
        int firstIndex = 0;
        int defined = 0;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = ResolveIn(concatenation.Pieces[i], Origin.Piece, trail);
            if (values[i] is { } value)
            {
                if (first is null)
                {
                    first = value;
                    firstIndex = i;
                }

                defined++;
            }
        }

        if (defined <= 1)
        {
            return first;
        }

        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] is { } value && Family(value) != Family(first!))
            {
                throw new ConfigException(concatenation.Pieces[i].Position,
                    $"cannot concatenate {first!.Describe()} and {value.Describe()} in the value of '{trail}'");
            }
        }

        switch (first)
        {
            case ConfigObject:
                ConfigValue merged = first;
                for (int i = firstIndex + 1; i < values.Length; i++)
                {
                    merged = values[i] is { } value ? MergeValues(value, merged) : merged;
                }

                return merged;
            case ConfigArray:
                var items = new List<ConfigValue>();
                foreach (var value in values)
                {
                    if (value is ConfigArray array)
                    {
                        items.AddRange(array);
                    }
                }

                return new ConfigArray([.. items], concatenation.Position);
            default:
                var text = new StringBuilder();
                bool any = false;
                for (int i = 0; i < values.Length; i++)
                {
                    if (values[i] is { } value)
                    {
                        // Whitespace next to an undefined leading piece is dropped with it.
                        if (any)
                        {
                            text.Append(concatenation.Separators[i]);
                        }

                        text.Append(HoconParser.TextOf(value));
                        any = true;
                    }
                }

                return new ConfigString(text.ToString(), isQuoted: false, concatenation.Position);
        }
    }

    private static int Family(ConfigValue value) => value switch
    {
        ConfigObject => 0,
        ConfigArray => 1,
        _ => 2,
    };

    /// <summary>
    /// Resolves definitions from the latest down and stops at the first non-object: what it hides is never
    /// evaluated, so errors in overridden definitions do not surface (HOCON.md).
    /// </summary>
    private ConfigValue? ResolveStack(MergeNode stack, PathTrail? trail)
    {
        var values = new List<ConfigValue>(stack.Elements.Length);
        for (int i = 0; i < stack.Elements.Length; i++)
        {
            var value = ResolveIn(stack.Elements[i], Origin.InStack(stack, i), trail);
            if (value is null)
            {
                continue;
            }

            values.Add(value);
            if (HidesBelow(value))
            {
                break;
            }
        }

        if (values.Count == 0)
        {
            return null;
        }

        var result = values[^1];
        for (int i = values.Count - 2; i >= 0; i--)
        {
            result = MergeValues(values[i], result);
        }

        return result;
    }

    /// <summary>HOCON merge of resolved values: objects merge field by field, otherwise <paramref name="top"/> wins.</summary>
    internal static ConfigValue MergeValues(ConfigValue top, ConfigValue bottom)
    {
        if (top is not ConfigObject over || over.IgnoresFallbacks)
        {
            return top;
        }

        if (bottom is not ConfigObject under)
        {
            return over.IgnoringFallbacks();
        }

        StackGuard.EnsureStack();
        var keys = new List<string>(under.Count + over.Count);
        var fields = new Dictionary<string, ConfigValue>(under.Count + over.Count, StringComparer.Ordinal);
        foreach (var (key, value) in under)
        {
            keys.Add(key);
            fields.Add(key, value);
        }

        foreach (var (key, value) in over)
        {
            if (fields.TryGetValue(key, out var old))
            {
                fields[key] = MergeValues(value, old);
            }
            else
            {
                keys.Add(key);
                fields.Add(key, value);
            }
        }

        return new ConfigObject([.. keys], fields, over.Position ?? under.Position, under.IgnoresFallbacks);
    }
}
