using IommuSim.Runtime;

namespace IommuSim.Simulator.Runner;

/// <summary>
/// What a step's script asks its <see cref="ScriptActor"/> to do next. A step is a C# iterator
/// of instructions: it yields a <see cref="Call{T}"/> and reads the reply after the yield, so a
/// step that needs several messages reads as straight-line code while the actor never blocks.
/// </summary>
public abstract class Instruction;

/// <summary>Implemented by <see cref="Call{T}"/>; the actor sends, then completes it with the first message of the reply type.</summary>
internal interface ICall
{
    IActorRef Target { get; }
    object Message { get; }
    bool Accepts(object message);
    void Complete(object reply);
}

/// <summary>Sends <see cref="Message"/> to <see cref="Target"/> and waits for its reply of type <typeparamref name="T"/> (every request of the model is answered exactly once).</summary>
public sealed class Call<T>(IActorRef target, object message) : Instruction, ICall where T : class
{
    private T? _reply;

    public IActorRef Target { get; } = target;
    public object Message { get; } = message;

    /// <summary>The reply; read it only after the yield returned.</summary>
    public T Reply => _reply ?? throw new InvalidOperationException($"{Message.GetType().Name} has not been answered yet");

    public bool Accepts(object message) => message is T;

    public void Complete(object reply) => _reply = (T)reply;
}

/// <summary>Waits <see cref="Duration"/> on the system's clock (virtual time on the deterministic dispatcher).</summary>
public sealed class Delay(TimeSpan duration) : Instruction
{
    public TimeSpan Duration { get; } = duration;
}

/// <summary>Passes one round through the actor's own mailbox, letting anything runnable go first (a seeded "sleep a little").</summary>
public sealed class YieldRound : Instruction
{
    public static readonly YieldRound Instance = new();
}

/// <summary>
/// Starts <see cref="Script"/> in a new actor running concurrently with this one; <see cref="WaitChildren"/>
/// waits for it. <see cref="Name"/> names the actor in traces (made unique among its siblings).
/// </summary>
public sealed class Start(IEnumerable<Instruction> script, string name) : Instruction
{
    public IEnumerable<Instruction> Script { get; } = script;

    public string Name { get; } = name;
}

/// <summary>Waits until every script this one started has finished.</summary>
public sealed class WaitChildren : Instruction
{
    public static readonly WaitChildren Instance = new();
}
