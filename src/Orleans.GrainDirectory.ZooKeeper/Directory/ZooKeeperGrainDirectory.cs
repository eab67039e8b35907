using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.ZooKeeper;
using Orleans.ZooKeeper.Client;

namespace Orleans.GrainDirectory.ZooKeeper;

/// <summary>
/// An Orleans grain directory in ZooKeeper (layout: <see cref="DirectoryLayout"/>). Every decision is one conditional
/// ZooKeeper operation: a registration is one transaction creating the entry and its index node (the first one wins;
/// the others read the winner), a replacement and a removal are transactions at the version of the entry they
/// checked. So many silos registering one grain at once get exactly one winner, and all of them return it.
/// </summary>
internal sealed partial class ZooKeeperGrainDirectory : IGrainDirectory, ILifecycleParticipant<ISiloLifecycle>
{
    private const int MaxAttempts = 50;

    private readonly string _name;
    private readonly string _clusterId;
    private readonly ZooKeeperGrainDirectoryOptions _options;
    private readonly ZooKeeperProviderHost _host;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private ZooKeeperConnection? _connection;
    private DirectoryLayout? _layout;

    public ZooKeeperGrainDirectory(string name, string clusterId, ZooKeeperGrainDirectoryOptions options, ZooKeeperProviderHost host, ILogger logger)
    {
        _name = name;
        _clusterId = clusterId;
        _options = options;
        _host = host;
        _logger = logger;
    }

    /// <summary>The provider's name with the host (health check <c>zookeeper:directory:{name}</c>).</summary>
    public static string ProviderName(string name) => "directory:" + name;

    internal string Root => Layout.Root;

    internal ZooKeeperConnection Connection => Volatile.Read(ref _connection) ?? throw new InvalidOperationException($"ZooKeeper grain directory '{_name}' has not been started.");

    private DirectoryLayout Layout => Volatile.Read(ref _layout) ?? throw new InvalidOperationException($"ZooKeeper grain directory '{_name}' has not been started.");

    public void Participate(ISiloLifecycle lifecycle)
        => lifecycle.Subscribe(nameof(ZooKeeperGrainDirectory) + "." + _name, ServiceLifecycleStage.RuntimeInitialize, InitializeAsync, StopAsync);

    /// <summary>Gets the connection from the provider host and makes sure of the directory's nodes.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await _startLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection is not null)
            {
                return;
            }

            var connection = await _host.ConnectAsync(ProviderName(_name), _options, cancellationToken).ConfigureAwait(false);
            try
            {
                var layout = new DirectoryLayout(connection.BasePath, _clusterId, _name);
                await connection.Client.EnsurePathAsync(layout.Grains, connection.NodeAcl, cancellationToken).ConfigureAwait(false);
                await connection.Client.EnsurePathAsync(layout.Silos, connection.NodeAcl, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _layout, layout);
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            Volatile.Write(ref _connection, connection);
            DirectoryLog.Started(_logger, _name, _clusterId, Layout.Root, connection.ContainerName);
        }
        catch (ZooKeeperException ex)
        {
            throw Failure("start", null, null, ex); // (the layout is not known yet: reading it here would hide the error)
        }
        finally
        {
            _startLock.Release();
        }
    }

    /// <summary>Hands the connection back to the provider host.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _connection, null) is { } connection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    public Task<GrainAddress?> Register(GrainAddress address) => Register(address, null);

    /// <summary>
    /// Registers <paramref name="address"/> unless another activation is registered; with
    /// <paramref name="previousAddress"/>, replaces the entry only while it is that activation (as Orleans' other
    /// directories, by activation id). Returns the address registered in the end.
    /// </summary>
    public async Task<GrainAddress?> Register(GrainAddress address, GrainAddress? previousAddress)
    {
        ArgumentNullException.ThrowIfNull(address);
        var silo = address.SiloAddress ?? throw new ArgumentException($"The address of {address.GrainId} has no silo.", nameof(address));
        var layout = Layout;
        var entry = layout.EntryPath(address.GrainId);
        try
        {
            var client = Connection.Client;
            var data = DirectoryLayout.Encode(address);
            for (var attempt = 1; ; attempt++)
            {
                if (await TryCreateAsync(client, layout, address, silo, data).ConfigureAwait(false))
                {
                    return address;
                }

                DataResult current;
                try
                {
                    current = await client.GetDataAsync(entry).ConfigureAwait(false);
                }
                catch (NoNodeException)
                {
                    Raced("register", entry, attempt); // removed between the create and the read: create again
                    continue;
                }

                var registered = Decode(current.Data, entry);
                if (previousAddress is null || registered.ActivationId != previousAddress.ActivationId)
                {
                    return registered; // another activation holds it
                }

                if (await TryReplaceAsync(client, layout, address, silo, registered, current.Stat.Version, data).ConfigureAwait(false))
                {
                    return address;
                }

                Raced("replace", entry, attempt);
            }
        }
        catch (Exception ex) when (ex is ZooKeeperException or FormatException)
        {
            throw Failure("register", address.GrainId, entry, ex);
        }
    }

    /// <summary>Removes the entry if it is this activation (by activation id); nothing otherwise.</summary>
    public async Task Unregister(GrainAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var layout = Layout;
        var entry = layout.EntryPath(address.GrainId);
        try
        {
            var client = Connection.Client;
            for (var attempt = 1; ; attempt++)
            {
                DataResult current;
                try
                {
                    current = await client.GetDataAsync(entry).ConfigureAwait(false);
                }
                catch (NoNodeException)
                {
                    return;
                }

                var registered = Decode(current.Data, entry);
                if (registered.ActivationId != address.ActivationId)
                {
                    DirectoryLog.NotRemoved(_logger, _name, address.GrainId.ToString(), address.ActivationId.ToString(), registered.ActivationId.ToString());
                    return;
                }

                if (await TryRemoveAsync(client, layout, registered, current.Stat.Version).ConfigureAwait(false))
                {
                    return;
                }

                Raced("unregister", entry, attempt);
            }
        }
        catch (Exception ex) when (ex is ZooKeeperException or FormatException)
        {
            throw Failure("unregister", address.GrainId, entry, ex);
        }
    }

    /// <summary>One getData: the registered address, or null.</summary>
    public async Task<GrainAddress?> Lookup(GrainId grainId)
    {
        var entry = Layout.EntryPath(grainId);
        try
        {
            var current = await Connection.Client.GetDataAsync(entry).ConfigureAwait(false);
            return Decode(current.Data, entry);
        }
        catch (NoNodeException)
        {
            return null;
        }
        catch (Exception ex) when (ex is ZooKeeperException or FormatException)
        {
            throw Failure("look up", grainId, entry, ex);
        }
    }
}
