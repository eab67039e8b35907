using Orleans.Runtime;

namespace Orleans.Clustering.ZooKeeper;

/// <summary>
/// A ZooKeeper membership table operation failed for a reason other than a lost race (which InsertRow and UpdateRow
/// report as false): the ensemble could not be reached, a node holds data that is not a membership row, or a row
/// vanished under a heartbeat. The message names the node; <see cref="Path"/> holds it.
/// </summary>
public sealed class ZooKeeperMembershipException : OrleansException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The complete message (it names <paramref name="path"/>).</param>
    /// <param name="path">The znode concerned.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public ZooKeeperMembershipException(string message, string path, Exception? innerException = null)
        : base(message, innerException!)
    {
        Path = path;
    }

    /// <summary>The znode concerned.</summary>
    public string Path { get; }
}
