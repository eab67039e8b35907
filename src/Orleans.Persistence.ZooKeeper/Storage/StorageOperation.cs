namespace Orleans.Persistence.ZooKeeper;

/// <summary>A storage call: its short name (tags), the name Orleans' providers put in messages, and its span name.</summary>
internal sealed record StorageOperation(string Name, string MethodName, string SpanName)
{
    public static readonly StorageOperation Read = new("read", "ReadStateAsync", "zookeeper.storage read");
    public static readonly StorageOperation Write = new("write", "WriteStateAsync", "zookeeper.storage write");
    public static readonly StorageOperation Clear = new("clear", "ClearStateAsync", "zookeeper.storage clear");
}
