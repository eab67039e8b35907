using System.Globalization;

namespace Orleans.ZooKeeper.Client;

/// <summary>How session ids are shown everywhere (events, logs, health data, tools): <c>0x</c> and lower-case hex, as ZooKeeper's own logs and four-letter words show them.</summary>
public static class SessionIds
{
    /// <summary><c>0x</c> followed by the id in lower-case hex (<c>0x0</c> for no session).</summary>
    public static string Format(long sessionId) => "0x" + sessionId.ToString("x", CultureInfo.InvariantCulture);
}
