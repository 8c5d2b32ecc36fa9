using IommuSim.Runtime;

namespace IommuSim.Simulator.Runner;

/// <summary>
/// Runs one script (a sequence of steps, a parallel branch, a workload's operation) as an actor:
/// it sends each <see cref="Call{T}"/> with itself as the sender and resumes the script when the
/// reply arrives, so the scenario's "threads" are actors whose messages the dispatcher
/// interleaves like any others. Scripts it starts are its children; when its own script and all
/// of them are done it tells its parent (or, for the root, the run) and stops.
/// </summary>
internal sealed class ScriptActor : ActorBase
{
    private static readonly object Tick = new();

    private readonly IEnumerator<Instruction> _script;
    private readonly ScenarioRun _run;
    private readonly bool _root;
    private ICall? _call;
    private bool _delaying;
    private bool _waiting;
    private bool _finished;
    private int _children;
    private int _started;

    private ScriptActor(IEnumerable<Instruction> script, ScenarioRun run, bool root)
    {
        _script = script.GetEnumerator();
        _run = run;
        _root = root;
    }

    public static Props Props(IEnumerable<Instruction> script, ScenarioRun run, bool root) =>
        Runtime.Props.Create(() => new ScriptActor(script, run, root));

    /// <summary>A child script finished.</summary>
    private sealed class ChildDone
    {
        public static readonly ChildDone Instance = new();
    }

    protected override void PreStart() => Advance();

    protected override bool Receive(object message)
    {
        if (message is ChildDone)
        {
            _children--;
            if (_children == 0 && _waiting)
            {
                _waiting = false;
                if (_finished) Finish();
                else Advance();
            }
            return true;
        }
        if (ReferenceEquals(message, Tick))
        {
            if (!_delaying) return true;
            _delaying = false;
            Advance();
            return true;
        }
        if (_call is { } call && call.Accepts(message))
        {
            _call = null;
            call.Complete(message);
            _run.AfterReply();
            Advance();
            return true;
        }
        // A reply nobody waits for (the answer to a request of an actor that was already gone). Ignored.
        return true;
    }

    private void Advance()
    {
        while (true)
        {
            bool more;
            try
            {
                more = _script.MoveNext();
            }
            catch (Exception e)
            {
                _run.ScriptFailed(e);
                more = false;
            }
            if (!more)
            {
                _finished = true;
                if (_children > 0) _waiting = true;
                else Finish();
                return;
            }
            switch (_script.Current)
            {
                case ICall call:
                    _call = call;
                    call.Target.Tell(call.Message, Self);
                    return;
                case Delay d when d.Duration > TimeSpan.Zero:
                    _delaying = true;
                    Context.System.Scheduler.ScheduleTellOnce(d.Duration, Self, Tick, Self);
                    return;
                case Delay or YieldRound:
                    _delaying = true;
                    Self.Tell(Tick, Self);
                    return;
                case Start s:
                    _children++;
                    Context.ActorOf(Props(s.Script, _run, root: false), $"{s.Name}-{++_started}");
                    continue;
                case WaitChildren:
                    if (_children == 0) continue;
                    _waiting = true;
                    return;
                default:
                    _run.ScriptFailed(new InvalidOperationException($"unknown instruction {_script.Current}"));
                    continue;
            }
        }
    }

    private void Finish()
    {
        _script.Dispose();
        if (_root) _run.RootFinished();
        else Context.Parent.Tell(ChildDone.Instance, Self);
        Context.Stop(Self);
    }
}
