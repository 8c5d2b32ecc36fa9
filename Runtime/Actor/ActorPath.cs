using System.Text;

namespace IommuSim.Runtime;

/// <summary>
/// The address of an actor: <c>akka://system/user/parent/child</c>. Each incarnation also carries
/// a system-wide <see cref="Uid"/> assigned in creation order, so that two actors created in the
/// same order by two runs get the same ids (the deterministic dispatcher hashes ids into its trace).
/// </summary>
public sealed class ActorPath : IEquatable<ActorPath>, IComparable<ActorPath>
{
    private readonly ActorPath? _parent;

    private ActorPath(string systemName, ActorPath? parent, string name, long uid)
    {
        SystemName = systemName;
        _parent = parent;
        Name = name;
        Uid = uid;
    }

    internal static ActorPath Root(string systemName) => new(systemName, null, "", 0);

    public string SystemName { get; }
    public string Name { get; }
    public long Uid { get; }
    public ActorPath? Parent => _parent;

    public ActorPath Child(string name, long uid) => new(SystemName, this, name, uid);

    public IReadOnlyList<string> Elements
    {
        get
        {
            var list = new List<string>();
            for (var p = this; p._parent != null; p = p._parent) list.Add(p.Name);
            list.Reverse();
            return list;
        }
    }

    public override string ToString()
    {
        var sb = new StringBuilder("akka://").Append(SystemName);
        if (_parent == null) return sb.Append('/').ToString();
        foreach (var e in Elements) sb.Append('/').Append(e);
        return sb.ToString();
    }

    /// <summary>Paths compare by address only; the uid tells incarnations apart through <see cref="IActorRef"/> identity.</summary>
    public bool Equals(ActorPath? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null || other.Name != Name || other.SystemName != SystemName) return false;
        return Equals(_parent, other._parent);
    }

    public override bool Equals(object? obj) => obj is ActorPath p && Equals(p);
    public override int GetHashCode() => HashCode.Combine(Name, _parent?.GetHashCode() ?? SystemName.GetHashCode(StringComparison.Ordinal));
    public int CompareTo(ActorPath? other) => string.CompareOrdinal(ToString(), other?.ToString());

    internal static bool IsValidName(string name)
    {
        if (string.IsNullOrEmpty(name) || name[0] == '$') return false;
        foreach (var c in name)
        {
            var ok = char.IsAsciiLetterOrDigit(c) || "-_.*$+:@&=,!~';()".Contains(c);
            if (!ok) return false;
        }
        return true;
    }
}
