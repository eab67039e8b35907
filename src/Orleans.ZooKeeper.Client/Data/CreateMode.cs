namespace Orleans.ZooKeeper.Client;

/// <summary>How a znode is created.</summary>
public enum CreateMode
{
    /// <summary>Lives until deleted.</summary>
    Persistent = 0,

    /// <summary>Deleted when the creating session ends.</summary>
    Ephemeral = 1,

    /// <summary>Persistent, with a 10-digit sequence number appended to the name.</summary>
    PersistentSequential = 2,

    /// <summary>Ephemeral, with a 10-digit sequence number appended to the name.</summary>
    EphemeralSequential = 3,

    /// <summary>Removed by the server once its last child is gone.</summary>
    Container = 4,

    /// <summary>Persistent, removed by the server when unmodified and childless for its TTL (needs zookeeper.extendedTypesEnabled).</summary>
    PersistentWithTtl = 5,

    /// <summary>Sequential and with a TTL (needs zookeeper.extendedTypesEnabled).</summary>
    PersistentSequentialWithTtl = 6,
}

/// <summary>Facts about <see cref="CreateMode"/> values.</summary>
public static class CreateModeExtensions
{
    /// <summary>True for the sequential modes.</summary>
    public static bool IsSequential(this CreateMode mode)
        => mode is CreateMode.PersistentSequential or CreateMode.EphemeralSequential or CreateMode.PersistentSequentialWithTtl;

    /// <summary>True for the ephemeral modes.</summary>
    public static bool IsEphemeral(this CreateMode mode)
        => mode is CreateMode.Ephemeral or CreateMode.EphemeralSequential;

    /// <summary>True for the TTL modes.</summary>
    public static bool IsTtl(this CreateMode mode)
        => mode is CreateMode.PersistentWithTtl or CreateMode.PersistentSequentialWithTtl;
}
