using IommuSim.LoadTests.Runtime;
using IommuSim.Runtime;

namespace IommuSim.LoadTests;

/// <summary>
/// A load driver actor: on <see cref="Start"/> it sends up to <c>window</c> requests, sends the next
/// one as each answer comes back until <c>total</c> were sent, and signals <c>done</c> once every
/// one was answered. A subclass says what request number i is and which messages answer one (and
/// throws on a wrong answer, so a benchmark never times a failure).
/// </summary>
internal abstract class WindowedDriver(long total, int window, Countdown done) : UntypedActor
{
    public static readonly object Start = new();

    private long _sent;
    private long _received;

    /// <summary>Sends request number <paramref name="index"/> (0-based, in order).</summary>
    protected abstract void Send(long index);

    /// <summary>Whether <paramref name="message"/> answers a request; throws if it reports a failure.</summary>
    protected abstract bool IsAnswer(object message);

    protected sealed override void OnReceive(object message)
    {
        if (IsAnswer(message))
        {
            _received++;
            if (_sent < total) Send(_sent++);
            else if (_received == total) done.Signal();
        }
        else if (ReferenceEquals(message, Start))
        {
            if (total == 0) done.Signal();
            while (_sent < total && _sent < window) Send(_sent++);
        }
        else
        {
            Unhandled(message);
        }
    }
}
