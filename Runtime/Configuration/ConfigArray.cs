using System.Collections;

namespace IommuSim.Runtime.Configuration;

public sealed class ConfigArray : ConfigValue, IReadOnlyList<ConfigValue>
{
    private readonly ConfigValue[] _items;

    internal ConfigArray(ConfigValue[] items, ConfigPosition? position)
        : base(position) => _items = items;

    public int Count => _items.Length;

    public ConfigValue this[int index] => _items[index];

    public override ConfigValueType ValueType => ConfigValueType.Array;

    public IEnumerator<ConfigValue> GetEnumerator() => ((IEnumerable<ConfigValue>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal override string Describe() => "array";
}
