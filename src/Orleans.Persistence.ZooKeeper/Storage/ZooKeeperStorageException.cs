using Orleans.Runtime;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>A ZooKeeper grain storage operation failed (other than an ETag conflict, which is an <c>InconsistentStateException</c>).</summary>
public sealed class ZooKeeperStorageException : OrleansException
{
    /// <summary>Creates the exception.</summary>
    public ZooKeeperStorageException(string message, Exception? innerException = null)
        : base(message, innerException!)
    {
    }
}
