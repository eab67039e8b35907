using Orleans.Runtime;

namespace Orleans.Reminders.ZooKeeper;

/// <summary>
/// A reminder table operation failed: the message names the operation, the grain and reminder when there is one, the
/// znode and the cause (the ZooKeeper error inside).
/// </summary>
public sealed class ZooKeeperReminderTableException : OrleansException
{
    /// <summary>Creates the exception.</summary>
    public ZooKeeperReminderTableException(string message, Exception? innerException = null)
        : base(message, innerException!)
    {
    }
}
