using System.Buffers;
using System.Text.Json;
using IommuSim.Runtime.Deterministic;
using IommuSim.Simulator.Scenarios.Steps;

namespace IommuSim.Simulator.Runner;

/// <summary>
/// The <c>--trace FILE</c> sink: JSON lines, one event per line. Kinds: <c>delivery</c> (each
/// message the deterministic dispatcher delivers: step, time, receiver, sender, message type and
/// a short text), <c>event</c> (each trace event the actors publish: DMA, invalidations, IOTLB
/// flushes, ...) and <c>step</c> (a scenario step starting or ending).
/// </summary>
/// <remarks>
/// On the thread-pool dispatcher actors publish trace events from several threads at once; the
/// writer serialises lines under a lock (held to format and copy one line, never while calling out).
/// </remarks>
public sealed class TraceWriter : IDisposable
{
    private const int TextLimit = 160;

    private readonly Lock _lock = new();
    private readonly Stream _stream;
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _json;
    private long _lines;

    public TraceWriter(Stream stream)
    {
        _stream = stream;
        _json = new Utf8JsonWriter(_buffer);
    }

    public static TraceWriter ToFile(string path) => new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16));

    public long Lines
    {
        get
        {
            lock (_lock) return _lines;
        }
    }

    public void Delivery(Delivery d) => Line(w =>
    {
        w.WriteString("kind", "delivery");
        w.WriteNumber("step", d.Step);
        w.WriteNumber("time_ns", d.Time.Ticks * 100);
        w.WriteString("receiver", d.Receiver.Path.ToString());
        w.WriteString("sender", d.Sender?.Path.ToString());
        w.WriteString("message", d.Message.GetType().Name);
        w.WriteString("text", Short(d.Message));
        w.WriteNumber("choice", d.Choice);
        w.WriteNumber("runnable", d.Runnable);
    });

    public void Event(object e, TimeSpan now) => Line(w =>
    {
        w.WriteString("kind", "event");
        w.WriteNumber("time_ns", now.Ticks * 100);
        w.WriteString("type", e.GetType().Name);
        w.WriteString("text", Short(e));
    });

    public void StepEvent(Step step, bool start, TimeSpan now) => Line(w =>
    {
        w.WriteString("kind", "step");
        w.WriteString("phase", start ? "start" : "end");
        w.WriteNumber("time_ns", now.Ticks * 100);
        w.WriteString("op", step.Info.Op);
        w.WriteString("step", step.Info.Label);
    });

    private void Line(Action<Utf8JsonWriter> body)
    {
        lock (_lock)
        {
            _buffer.ResetWrittenCount();
            _json.Reset(_buffer);
            _json.WriteStartObject();
            body(_json);
            _json.WriteEndObject();
            _json.Flush();
            _stream.Write(_buffer.WrittenSpan);
            _stream.WriteByte((byte)'\n');
            _lines++;
        }
    }

    /// <summary>A message's text, cut to a line: records print their fields.</summary>
    public static string Short(object message)
    {
        var text = message.ToString() ?? message.GetType().Name;
        return text.Length <= TextLimit ? text : text[..TextLimit] + "...";
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _json.Dispose();
            _stream.Dispose();
        }
    }
}
