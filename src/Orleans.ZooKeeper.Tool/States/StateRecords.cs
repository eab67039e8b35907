using Orleans.Persistence.ZooKeeper;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Tool.Cli;

namespace Orleans.ZooKeeper.Tool.States;

/// <summary>One stored state: where it is, its ETag and stat, and its bytes.</summary>
internal sealed record StoredState(string Type, string Key, string State, string Path, Stat Stat, byte[] Data)
{
    /// <summary>The ETag grain storage gives the state (<c>{czxid:x}-{version}</c>).</summary>
    public string ETag => StateETag.Format(Stat);

    public DateTimeOffset Modified => DateTimeOffset.FromUnixTimeMilliseconds(Stat.Mtime);
}

/// <summary>Where a state lives: the grain type node and the state node's name below the service root.</summary>
internal readonly record struct StateName(string Type, string Key, string State)
{
    public string TypeSegment => ZooKeeperNodeNames.Encode(Type);

    public string NodeName => ZooKeeperNodeNames.Encode(Key) + "." + ZooKeeperNodeNames.Encode(State);

    /// <summary>The state a node name below a type node stands for; false for names grain storage does not write.</summary>
    public static bool TryParse(string typeSegment, string nodeName, out StateName name)
    {
        name = default;
        var dot = nodeName.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == nodeName.Length - 1 || nodeName.IndexOf('.', dot + 1) >= 0
            || !ZooKeeperNodeNames.IsEncoded(typeSegment) || !ZooKeeperNodeNames.IsEncoded(nodeName[..dot]) || !ZooKeeperNodeNames.IsEncoded(nodeName[(dot + 1)..]))
        {
            return false;
        }

        try
        {
            name = new StateName(ZooKeeperNodeNames.Decode(typeSegment), ZooKeeperNodeNames.Decode(nodeName[..dot]), ZooKeeperNodeNames.Decode(nodeName[(dot + 1)..]));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>A write refused because the state changed since it was read (or exists in a form the tool must not touch).</summary>
internal sealed class StateConflictException(string message, Exception? innerException = null) : ToolException(message, ExitCodes.Failed, innerException);

/// <summary>What a listing read: the states, the nodes that are not states of this layout, and the states it could not read.</summary>
internal sealed record StateListing(List<StoredState> States, int NotStates, List<string> Unreadable);
