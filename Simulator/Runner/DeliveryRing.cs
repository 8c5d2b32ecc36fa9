using System.Globalization;
using IommuSim.Runtime.Deterministic;

namespace IommuSim.Simulator.Runner;

/// <summary>
/// The last deliveries of a deterministic run, kept as structs (no text built per delivery) and
/// formatted only when a violation or failure is reported.
/// </summary>
internal sealed class DeliveryRing(int capacity)
{
    private readonly Delivery[] _ring = new Delivery[capacity];
    private long _count;

    public void Add(Delivery d) => _ring[_count++ % _ring.Length] = d;

    public IReadOnlyList<string> Format()
    {
        var n = (int)Math.Min(_count, _ring.Length);
        var lines = new string[n];
        for (var i = 0; i < n; i++) lines[i] = Describe(_ring[(_count - n + i) % _ring.Length]);
        return lines;
    }

    public static string Describe(Delivery d) => string.Create(CultureInfo.InvariantCulture,
        $"#{d.Step} t={d.Time.Ticks * 100}ns {d.Sender?.Path.Name ?? "-"} -> {d.Receiver.Path.Name}: {TraceWriter.Short(d.Message)}");
}
