namespace Orleans.ZooKeeper.Testing;

/// <summary>
/// A throwaway KDC with <c>users</c> and a standalone ZooKeeper server that logs in to it as
/// <see cref="KerberosKdc.ServicePrincipal"/> and requires SASL; this process's Kerberos library is pointed at the KDC.
/// Test projects wrap it in their fixtures.
/// </summary>
public sealed class KerberosZooKeeper : IAsyncDisposable
{
    private KerberosZooKeeper(KerberosKdc kdc, ZooKeeperServer server)
    {
        Kdc = kdc;
        Server = server;
    }

    public KerberosKdc Kdc { get; }

    public ZooKeeperServer Server { get; }

    public static async Task<KerberosZooKeeper> StartAsync(IReadOnlyDictionary<string, string> users, CancellationToken cancellationToken = default)
    {
        var kdc = await KerberosKdc.StartAsync(users, cancellationToken).ConfigureAwait(false);
        try
        {
            kdc.UseInThisProcess();
            var server = await ZooKeeperServer.StartNewAsync(new ZooKeeperServerOptions { Sasl = new ZooKeeperServerSaslOptions { Kerberos = kdc, RequireClientSasl = true } }, cancellationToken).ConfigureAwait(false);
            return new KerberosZooKeeper(kdc, server);
        }
        catch
        {
            await kdc.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync().ConfigureAwait(false);
        await Kdc.DisposeAsync().ConfigureAwait(false);
    }
}
