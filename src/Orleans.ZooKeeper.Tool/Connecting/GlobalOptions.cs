using System.CommandLine;

namespace Orleans.ZooKeeper.Tool.Connecting;

/// <summary>
/// The options every command takes: where the ensemble is (resolved exactly as a container's target, see
/// <see cref="ToolTarget"/>), credentials and TLS, and <c>--json</c>.
/// </summary>
internal sealed class GlobalOptions
{
    public Option<string?> Url { get; } = new("--url") { Description = "zookeeper://host:port[,host:port]/path, zookeeper:///abs or zookeeper:./rel (as a container's Url); wins over --config and ASAB_ZOOKEEPER_SERVERS" };

    public Option<FileInfo?> Config { get; } = new("--config") { Description = "An asab INI (.ini/.conf) or JSON (.json) file whose [zookeeper] section names servers, path, credentials and TLS" };

    public Option<string> Section { get; } = new("--section") { Description = "The configuration section to read", DefaultValueFactory = _ => ZooKeeperTargetResolver.DefaultSectionName };

    public Option<string?> Username { get; } = new("--username") { Description = "Digest user (with --password); as the section's 'username'" };

    public Option<string?> Password { get; } = new("--password") { Description = "Digest password (with --username); as the section's 'password'. Never printed" };

    public Option<string?> SaslUsername { get; } = new("--sasl-username") { Description = "SASL user (with --sasl-password); as the section's 'sasl_username'" };

    public Option<string?> SaslPassword { get; } = new("--sasl-password") { Description = "SASL password; as the section's 'sasl_password'. Never printed" };

    public Option<string?> SaslMechanism { get; } = new("--sasl-mechanism") { Description = "DIGEST-MD5 (default) or GSSAPI; as the section's 'sasl_mechanism'" };

    public Option<bool> Tls { get; } = new("--tls") { Description = "Connect with TLS; as the section's 'tls'" };

    public Option<FileInfo?> TlsCaFile { get; } = new("--tls-ca-file") { Description = "PEM file of the CA that signed the servers' certificates" };

    public Option<FileInfo?> TlsCertFile { get; } = new("--tls-cert-file") { Description = "PEM client certificate (mutual TLS)" };

    public Option<FileInfo?> TlsKeyFile { get; } = new("--tls-key-file") { Description = "PEM key of the client certificate" };

    public Option<double> Timeout { get; } = new("--timeout") { Description = "Seconds to wait for a session with the ensemble", DefaultValueFactory = _ => 10 };

    public Option<bool> Json { get; } = new("--json") { Description = "Write JSON (one document; export writes JSON lines) instead of tables" };

    /// <summary>All of them, for the root command (recursive: they may follow any command).</summary>
    public IEnumerable<Option> All()
    {
        Option[] all = [Url, Config, Section, Username, Password, SaslUsername, SaslPassword, SaslMechanism, Tls, TlsCaFile, TlsCertFile, TlsKeyFile, Timeout, Json];
        foreach (var option in all)
        {
            option.Recursive = true;
        }

        return all;
    }
}
