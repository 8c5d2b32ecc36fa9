namespace IommuSim.Runtime;

/// <summary>Equality and ordering shared by every reference: by path and incarnation uid.</summary>
public abstract class ActorRefBase : IActorRef
{
    public abstract ActorPath Path { get; }
    public abstract void Tell(object message, IActorRef? sender);

    public bool Equals(IActorRef? other) =>
        ReferenceEquals(this, other) || (other is not null && other.Path.Uid == Path.Uid && other.Path.Equals(Path));
    public override bool Equals(object? obj) => obj is IActorRef r && Equals(r);
    public override int GetHashCode() => HashCode.Combine(Path.Uid, Path.Name);
    public int CompareTo(IActorRef? other)
    {
        if (other is null) return 1;
        var c = Path.CompareTo(other.Path);
        return c != 0 ? c : Path.Uid.CompareTo(other.Path.Uid);
    }
    public override string ToString() => $"[{Path}#{Path.Uid}]";
}

/// <summary>References that the runtime can send system messages to (local actors, dead letters).</summary>
internal abstract class InternalActorRef : ActorRefBase
{
    internal abstract void SendSystemMessage(SystemMessage message);
    internal abstract bool IsTerminated { get; }
}

internal sealed class NobodyRef : InternalActorRef
{
    public static readonly NobodyRef Instance = new();
    private static readonly ActorPath NobodyPath = ActorPath.Root("all-systems").Child("Nobody", -1);
    public override ActorPath Path => NobodyPath;
    public override void Tell(object message, IActorRef? sender) { }
    internal override void SendSystemMessage(SystemMessage message) { }
    internal override bool IsTerminated => true;
}
