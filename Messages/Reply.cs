namespace IommuSim.Messages;

/// <summary>
/// The convention of every request in the model: it is answered by exactly one reply whose
/// <see cref="Errno"/> is <see cref="Errno.None"/> on success; a failed request changes nothing.
/// </summary>
public interface IReply
{
    Errno Errno { get; }
}

/// <summary>The reply of a request that returns no data.</summary>
public sealed record Done(Errno Errno = Errno.None) : IReply
{
    public static readonly Done Ok = new();
    public bool IsOk => Errno == Errno.None;
}
