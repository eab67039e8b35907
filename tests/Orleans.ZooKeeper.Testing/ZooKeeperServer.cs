namespace Orleans.ZooKeeper.Testing;

/// <summary>
/// A standalone ZooKeeper server (<c>ZooKeeperServerMain</c>) on 127.0.0.1 with its own temp directory under
/// <c>{temp}/orleans-zk-tests/</c>. Dispose kills it and deletes the directory.
/// </summary>
/// <example>
/// <code>
/// await using var server = new ZooKeeperServer(new ZooKeeperServerOptions { TickTime = 500 });
/// await server.StartAsync(ct);
/// // connect a client to server.ConnectString
/// </code>
/// With TLS on a second port (see <see cref="TestCertificates"/>):
/// <code>
/// TestCertificates certs = TestCertificates.Shared;
/// await using var server = await ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions
/// {
///     Tls = certs.CreateServerTlsOptions(ZooKeeperTlsClientAuth.Need, ZooKeeperTlsProtocols.Tls12And13),
/// }, ct);
/// // connect a TLS client to server.SecureConnectString, trusting certs.Ca (certs.CreateTrustPolicy()),
/// // presenting certs.Client.Certificate
/// </code>
/// </example>
public sealed class ZooKeeperServer : ZooKeeperServerProcess, IAsyncDisposable
{
    private const string MainClassName = "org.apache.zookeeper.server.ZooKeeperServerMain";
    private int disposed;

    /// <summary>
    /// Prepares a server (port, directory, <c>zoo.cfg</c>); <see cref="ZooKeeperServerProcess.StartAsync(CancellationToken)"/>
    /// starts it.
    /// </summary>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="installation">Java and ZooKeeper to use; null for <see cref="ZooKeeperInstallation.Default"/>.</param>
    /// <exception cref="InvalidOperationException">ZooKeeper or Java is not installed (run <c>scripts/install-zookeeper.sh</c>).</exception>
    public ZooKeeperServer(ZooKeeperServerOptions? options = null, ZooKeeperInstallation? installation = null)
        : base(
            installation ?? ZooKeeperInstallation.Default,
            ValidateOptions(options ?? new ZooKeeperServerOptions()),
            TestDirectories.CreateInstanceDirectory(),
            (options?.ClientPort) ?? FreePort.Next(),
            options?.Tls is { } tls ? tls.SecureClientPort ?? FreePort.Next() : null,
            MainClassName)
    {
        WriteConfig();
    }

    /// <summary>The settings this server was created with.</summary>
    public ZooKeeperServerOptions Options => ServerOptions;

    /// <inheritdoc/>
    protected override string DisplayName => "ZooKeeper standalone server";

    /// <summary>Creates and starts a server; disposes it if it fails to start.</summary>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<ZooKeeperServer> StartNewAsync(ZooKeeperServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var server = new ZooKeeperServer(options);
        try
        {
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Kills the server process (if running) and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await KillAndReleaseAsync().ConfigureAwait(false);
        await TestDirectories.DeleteInstanceDirectoryAsync(DataDir).ConfigureAwait(false);
    }

    private protected override IEnumerable<string> GetSpecificConfigLines() => [];
}
