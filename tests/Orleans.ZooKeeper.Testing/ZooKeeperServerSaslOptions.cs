using System.Text;

namespace Orleans.ZooKeeper.Testing;

/// <summary>
/// SASL DIGEST-MD5 on a test server (<see cref="ZooKeeperServerOptions.Sasl"/>): a JAAS file with a <c>Server</c>
/// section of <c>DigestLoginModule</c> users in the server's data directory, passed as
/// <c>-Djava.security.auth.login.config</c>, and <c>authProvider.sasl=…SASLAuthenticationProvider</c> in
/// <c>zoo.cfg</c>; with <see cref="RequireClientSasl"/> also <c>sessionRequireClientSASLAuth=true</c> (and
/// <c>enforce.auth.enabled=true</c>, <c>enforce.auth.schemes=sasl</c>). Quorum traffic of ensembles stays unauthenticated.
/// </summary>
public sealed record ZooKeeperServerSaslOptions
{
    /// <summary>The users the server knows, name → password (<c>user_name="password"</c> entries).</summary>
    public IReadOnlyDictionary<string, string> Users { get; init; } = new Dictionary<string, string>();

    /// <summary>Refuse sessions that do not authenticate with SASL (their first request fails, the session is closed).</summary>
    public bool RequireClientSasl { get; init; }

    /// <summary>The <c>zoo.cfg</c> lines.</summary>
    public IEnumerable<string> GetConfigLines()
    {
        yield return "authProvider.sasl=org.apache.zookeeper.server.auth.SASLAuthenticationProvider";
        if (RequireClientSasl)
        {
            yield return "sessionRequireClientSASLAuth=true";
            yield return "enforce.auth.enabled=true";
            yield return "enforce.auth.schemes=sasl";
        }
    }

    /// <summary>Writes the server's JAAS file to <paramref name="path"/>.</summary>
    public void WriteJaasFile(string path)
    {
        var text = new StringBuilder("Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required");
        foreach (var (user, password) in Users)
        {
            text.Append("\n  user_").Append(user).Append("=\"").Append(password.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
        }

        text.Append(";\n};\n");
        File.WriteAllText(path, text.ToString());
    }

    /// <summary>Writes a Java client's JAAS file (<c>Client</c> section) for <paramref name="user"/> to <paramref name="path"/>.</summary>
    public static void WriteClientJaasFile(string path, string user, string password)
        => File.WriteAllText(path, $"Client {{\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  username=\"{user}\"\n  password=\"{password}\";\n}};\n");
}
