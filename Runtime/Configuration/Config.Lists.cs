namespace IommuSim.Runtime.Configuration;

/// <summary>List getters. Elements convert like the scalar getters; errors name the element as <c>path[i]</c>.</summary>
public sealed partial class Config
{
    public IReadOnlyList<string> GetStringList(string path) => ToList(path, ToString);

    public IReadOnlyList<int> GetIntList(string path) => ToList(path, ToInt);

    public IReadOnlyList<long> GetLongList(string path) => ToList(path, ToLong);

    /// <summary>An array of objects, each as a config of its own.</summary>
    public IReadOnlyList<Config> GetConfigList(string path) =>
        ToList(path, (element, value) => value is ConfigObject obj ? new Config(obj, element) : throw WrongType(element, value, "an object"));

    private T[] ToList<T>(string path, Func<string, ConfigValue, T> convert)
    {
        string fullPath = FullPath(path);
        var items = AsArray(fullPath, Require(path, "an array"));
        var result = new T[items.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = convert($"{fullPath}[{i}]", items[i]);
        }

        return result;
    }

    /// <summary>
    /// An array, or (HOCON.md) an object with integer keys such as <c>foo.0 = a, foo.1 = b</c>, read in key
    /// order with non-integer keys ignored.
    /// </summary>
    private static IReadOnlyList<ConfigValue> AsArray(string path, ConfigValue value)
    {
        if (value is ConfigArray array)
        {
            return array;
        }

        if (value is ConfigObject obj)
        {
            var indexed = new List<(long Index, ConfigValue Value)>();
            foreach (var (key, element) in obj)
            {
                if (key.All(char.IsAsciiDigit) && long.TryParse(key, out long index))
                {
                    indexed.Add((index, element));
                }
            }

            if (indexed.Count > 0)
            {
                return [.. indexed.OrderBy(entry => entry.Index).Select(entry => entry.Value)];
            }
        }

        throw WrongType(path, value, "an array");
    }
}
