using Orleans.Runtime;

namespace Orleans.GrainDirectory.ZooKeeper;

/// <summary>A grain directory operation failed: the message names the directory, the operation, the grain, the znode and the cause.</summary>
public sealed class ZooKeeperGrainDirectoryException : OrleansException
{
    /// <summary>Creates the exception.</summary>
    public ZooKeeperGrainDirectoryException(string message, Exception? innerException = null)
        : base(message, innerException!)
    {
    }
}
