namespace Orleans.ZooKeeper.Client.Proto;

/// <summary>WatcherEvent {int type, int state, ustring path}: the body of a notification (xid -1).</summary>
internal readonly record struct WatcherEvent(EventType Type, KeeperState State, string? Path)
{
    public static WatcherEvent Read(ref JuteReader reader)
        => new((EventType)reader.ReadInt(), (KeeperState)reader.ReadInt(), reader.ReadNullableString());
}
