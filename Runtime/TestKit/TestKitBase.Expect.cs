using IommuSim.Runtime;

namespace IommuSim.TestKit;

public abstract partial class TestKitBase
{
    /// <summary>The next message, which must be a <typeparamref name="T"/>.</summary>
    public T ExpectMsg<T>(TimeSpan? timeout = null, string? hint = null)
    {
        var t = ExpectTimeout(timeout);
        var msg = ReceiveOne(t, Describe<T>(hint));
        return msg is T typed
            ? typed
            : throw new TestKitAssertionException($"Expected a message of type {typeof(T).Name}{Hint(hint)}, got {msg.GetType().Name}: {msg}");
    }

    /// <summary>The next message, which must equal <paramref name="expected"/>.</summary>
    public T ExpectMsg<T>(T expected, TimeSpan? timeout = null, string? hint = null) where T : notnull
    {
        var msg = ExpectMsg<T>(timeout, hint);
        return Equals(msg, expected)
            ? msg
            : throw new TestKitAssertionException($"Expected {expected}{Hint(hint)}, got {msg}");
    }

    /// <summary>The next message, which must be a <typeparamref name="T"/> satisfying the predicate.</summary>
    public T ExpectMsg<T>(Predicate<T> isMessage, TimeSpan? timeout = null, string? hint = null)
    {
        ArgumentNullException.ThrowIfNull(isMessage);
        var msg = ExpectMsg<T>(timeout, hint);
        return isMessage(msg)
            ? msg
            : throw new TestKitAssertionException($"The message {msg} did not match the predicate{Hint(hint)}");
    }

    /// <summary>The next message, checked by an assertion (e.g. xunit Assert calls).</summary>
    public T ExpectMsg<T>(Action<T> assertion, TimeSpan? timeout = null, string? hint = null)
    {
        ArgumentNullException.ThrowIfNull(assertion);
        var msg = ExpectMsg<T>(timeout, hint);
        assertion(msg);
        return msg;
    }

    /// <summary>The next message, whatever it is.</summary>
    public object ExpectMsgAny(TimeSpan? timeout = null) => ReceiveOne(ExpectTimeout(timeout), "any message");

    /// <summary>Fails if any message arrives within the duration (default <c>akka.test.expect-no-message-default</c>).</summary>
    public void ExpectNoMsg(TimeSpan? duration = null)
    {
        var d = duration is { } x ? Dilated(x) : RemainingOrDefault(Dilated(Settings.ExpectNoMessageDefault));
        if (TryReceiveOne(d, out var env))
            throw new TestKitAssertionException($"Expected no message within {d.TotalMilliseconds:F0} ms, got {env.Message.GetType().Name}: {env.Message}");
    }

    /// <summary>The Terminated of <paramref name="target"/>, which the test actor must watch (see <see cref="Watch"/>).</summary>
    public Terminated ExpectTerminated(IActorRef target, TimeSpan? timeout = null) =>
        ExpectMsg<Terminated>(t => t.ActorRef.Equals(target), timeout, $"Terminated of {target.Path}");

    /// <summary>The next <paramref name="count"/> messages, all within one timeout.</summary>
    public IReadOnlyList<object> ReceiveN(int count, TimeSpan? timeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var t = ExpectTimeout(timeout);
        var end = Now + t;
        var result = new List<object>(count);
        for (var i = 0; i < count; i++)
        {
            var left = end - Now;
            if (!TryReceiveOne(left < TimeSpan.Zero ? TimeSpan.Zero : left, out var env))
                throw new TestKitAssertionException($"Timeout ({t.TotalMilliseconds:F0} ms) while waiting for {count} messages: got {i}");
            result.Add(env.Message);
        }
        return result;
    }

    /// <summary>Reads messages until one of type <typeparamref name="T"/> satisfies the predicate; the others are discarded.</summary>
    public T FishForMessage<T>(Predicate<T> isMessage, TimeSpan? max = null, string? hint = null)
    {
        ArgumentNullException.ThrowIfNull(isMessage);
        var t = max is { } m ? Dilated(m) : RemainingOrDefault(Dilated(Settings.DefaultTimeout));
        var end = Now + t;
        var skipped = 0;
        while (true)
        {
            var left = end - Now;
            if (!TryReceiveOne(left < TimeSpan.Zero ? TimeSpan.Zero : left, out var env))
                throw new TestKitAssertionException($"Timeout ({t.TotalMilliseconds:F0} ms) fishing for {Describe<T>(hint)}; {skipped} other messages seen");
            if (env.Message is T typed && isMessage(typed)) return typed;
            skipped++;
        }
    }

    /// <summary>
    /// Runs the block and checks that it took between <paramref name="min"/> and
    /// <paramref name="max"/>; expectations inside default to the time left.
    /// </summary>
    public T Within<T>(TimeSpan min, TimeSpan max, Func<T> block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var dmax = Dilated(max);
        var start = Now;
        var outer = _withinEnd;
        var end = start + dmax;
        _withinEnd = outer is { } o && o < end ? o : end;
        T result;
        try
        {
            result = block();
        }
        finally
        {
            _withinEnd = outer;
        }
        var took = Now - start;
        if (took < min)
            throw new TestKitAssertionException($"Within: the block took {took.TotalMilliseconds:F1} ms, less than the minimum {min.TotalMilliseconds:F0} ms");
        if (took > dmax)
            throw new TestKitAssertionException($"Within: the block took {took.TotalMilliseconds:F1} ms, more than the maximum {dmax.TotalMilliseconds:F0} ms");
        return result;
    }

    public T Within<T>(TimeSpan max, Func<T> block) => Within(TimeSpan.Zero, max, block);
    public void Within(TimeSpan max, Action block) => Within(TimeSpan.Zero, max, block);
    public void Within(TimeSpan min, TimeSpan max, Action block) => Within(min, max, () => { block(); return 0; });

    /// <summary>Retries the assertion at intervals until it passes, failing with its last error after the duration.</summary>
    public void AwaitAssert(Action assertion, TimeSpan? duration = null, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(assertion);
        var t = duration is { } d ? Dilated(d) : RemainingOrDefault(Dilated(Settings.DefaultTimeout));
        var step = interval ?? Settings.AwaitAssertInterval;
        var end = Now + t;
        while (true)
        {
            try
            {
                assertion();
                return;
            }
            catch (Exception) when (Now < end)
            {
                var left = end - Now;
                Pass(step < left ? step : left);
            }
        }
    }

    /// <summary>Waits until the condition holds (AwaitCondition of Akka's test kit).</summary>
    public void AwaitCondition(Func<bool> condition, TimeSpan? max = null, string? message = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        AwaitAssert(() =>
        {
            if (!condition()) throw new TestKitAssertionException($"Condition not met{Hint(message)}");
        }, max);
    }

    private static string Describe<T>(string? hint) => $"a message of type {typeof(T).Name}{Hint(hint)}";
    private static string Hint(string? hint) => hint == null ? "" : $" ({hint})";
}
