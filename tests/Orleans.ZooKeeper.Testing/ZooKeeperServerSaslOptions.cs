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

    /// <summary>
    /// Kerberos instead of DIGEST-MD5: the server logs in as <see cref="KerberosKdc.ServicePrincipal"/> with the KDC's
    /// keytab (JAAS <c>Krb5LoginModule</c>) and its JVM gets <c>-Djava.security.krb5.conf</c>; <see cref="Users"/> is
    /// then unused (the users live in the KDC).
    /// </summary>
    public KerberosKdc? Kerberos { get; init; }

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

    /// <summary>The server JVM's extra arguments (the Kerberos configuration).</summary>
    public IEnumerable<string> GetJvmArgs()
    {
        if (Kerberos is { } kdc)
        {
            yield return "-Djava.security.krb5.conf=" + kdc.Krb5ConfPath;
        }
    }

    /// <summary>Writes the server's JAAS file to <paramref name="path"/>.</summary>
    public void WriteJaasFile(string path)
    {
        if (Kerberos is { } kdc)
        {
            File.WriteAllText(path, $"Server {{\n  com.sun.security.auth.module.Krb5LoginModule required\n  useKeyTab=true\n  keyTab=\"{kdc.ServerKeytab}\"\n  storeKey=true\n  useTicketCache=false\n  isInitiator=false\n  principal=\"{KerberosKdc.ServicePrincipal}@{KerberosKdc.Realm}\";\n}};\n");
            return;
        }

        var text = new StringBuilder("Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required");
        foreach (var (user, password) in Users)
        {
            text.Append("\n  user_").Append(user).Append("=\"").Append(password.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
        }

        text.Append(";\n};\n");
        File.WriteAllText(path, text.ToString());
    }

    /// <summary>Writes a Java client's JAAS file logging in to Kerberos as <paramref name="user"/> with its keytab.</summary>
    public static void WriteKerberosClientJaasFile(string path, KerberosKdc kdc, string user)
        => File.WriteAllText(path, $"Client {{\n  com.sun.security.auth.module.Krb5LoginModule required\n  useKeyTab=true\n  keyTab=\"{kdc.KeytabOf(user)}\"\n  storeKey=true\n  useTicketCache=false\n  principal=\"{user}@{KerberosKdc.Realm}\";\n}};\n");

    /// <summary>Writes a Java client's JAAS file (<c>Client</c> section) for <paramref name="user"/> to <paramref name="path"/>.</summary>
    public static void WriteClientJaasFile(string path, string user, string password)
        => File.WriteAllText(path, $"Client {{\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  username=\"{user}\"\n  password=\"{password}\";\n}};\n");
}
