using System.Globalization;
using System.Text;

namespace IommuSim.Runtime.Deterministic;

/// <summary>
/// The choices a run made: at each delivery, the index of the chosen channel among the runnable
/// ones. Stored as varints (one byte for most steps), so that a 10 M-step run records ~10 MB.
/// Replaying these choices reproduces the run without the seed.
/// </summary>
public sealed class Schedule
{
    private byte[] _bytes;
    private int _length;

    public Schedule(int capacity = 1024) => _bytes = new byte[Math.Max(16, capacity)];

    public long Count { get; private set; }

    public void Add(int choice)
    {
        if (_length + 5 > _bytes.Length) Array.Resize(ref _bytes, _bytes.Length * 2);
        var v = (uint)choice;
        while (v >= 0x80)
        {
            _bytes[_length++] = (byte)(v | 0x80);
            v >>= 7;
        }
        _bytes[_length++] = (byte)v;
        Count++;
    }

    public int[] ToArray()
    {
        var result = new int[Count];
        var i = 0;
        var pos = 0;
        while (pos < _length)
        {
            uint v = 0;
            var shift = 0;
            byte b;
            do
            {
                b = _bytes[pos++];
                v |= (uint)(b & 0x7F) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            result[i++] = (int)v;
        }
        return result;
    }

    /// <summary>Comma-separated choices, the form a trace file stores.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var c in ToArray())
        {
            if (sb.Length > 0) sb.Append(',');
            sb.Append(c.ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    public static IReadOnlyList<int> Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var result = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out result[i]))
                throw new FormatException($"schedule entry {i + 1} is '{parts[i]}', expected a non-negative integer");
        }
        return result;
    }
}
