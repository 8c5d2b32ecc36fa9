using IommuSim.Runtime.Configuration;

namespace IommuSim.Runtime.Dispatch;

public enum MailboxKind { Unbounded, Bounded }

/// <summary>A mailbox configuration, read from a config section such as <c>akka.actor.bounded-mailbox</c>.</summary>
public sealed record MailboxSettings(string Id, MailboxKind Kind, int Capacity, OverflowStrategy Overflow)
{
    public static readonly MailboxSettings Default = new("akka.actor.default-mailbox", MailboxKind.Unbounded, 0, OverflowStrategy.DropNew);

    public static MailboxSettings FromConfig(string id, Config section)
    {
        var type = section.GetString("type", "unbounded");
        switch (type)
        {
            case "unbounded":
                return new MailboxSettings(id, MailboxKind.Unbounded, 0, OverflowStrategy.DropNew);
            case "bounded":
                var capacity = section.GetInt("capacity");
                if (capacity <= 0)
                    throw new ConfigException(section.PositionOf("capacity"), $"mailbox '{id}': capacity must be positive, got {capacity}");
                var overflow = section.GetString("overflow", "drop-new") switch
                {
                    "drop-new" => OverflowStrategy.DropNew,
                    "drop-head" => OverflowStrategy.DropHead,
                    var other => throw new ConfigException(section.PositionOf("overflow"), $"mailbox '{id}': unknown overflow '{other}', expected drop-new or drop-head"),
                };
                return new MailboxSettings(id, MailboxKind.Bounded, capacity, overflow);
            default:
                throw new ConfigException(section.PositionOf("type"), $"mailbox '{id}': unknown type '{type}', expected unbounded or bounded");
        }
    }
}
