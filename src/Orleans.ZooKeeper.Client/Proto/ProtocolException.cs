namespace Orleans.ZooKeeper.Client.Proto;

/// <summary>
/// Thrown inside the client when bytes from the server do not form a valid ZooKeeper message.
/// The connection that produced them is dropped; callers see <see cref="ConnectionLossException"/>.
/// </summary>
internal sealed class ProtocolException : Exception
{
    public ProtocolException(string message) : base(message)
    {
    }
}
