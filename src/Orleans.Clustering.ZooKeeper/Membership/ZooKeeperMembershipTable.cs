using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.ZooKeeper;
using Orleans.ZooKeeper.Client;
using ZkError = Orleans.ZooKeeper.Client.ErrorCode;
using static Orleans.Clustering.ZooKeeper.MembershipLayout;

namespace Orleans.Clustering.ZooKeeper;

/// <summary>
/// Orleans' membership table in ZooKeeper (layout: <see cref="MembershipLayout"/>). Every change of a row goes with a
/// conditional write of the table node in one <c>multi</c>, so the row ETag and the table ETag are checked together and
/// the table version moves with every insert and update; heartbeats (<see cref="UpdateIAmAliveAsync"/>) touch only the
/// row's heartbeat node. Reads are consistent snapshots (see <see cref="ReadAllAsync"/>). All nodes are persistent:
/// losing the ZooKeeper session loses nothing.
/// </summary>
internal sealed partial class ZooKeeperMembershipTable : IMembershipTable, ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    private readonly ZooKeeperClusteringOptions _options;
    private readonly ZooKeeperProviderHost _host;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private ZooKeeperConnection? _connection;
    private string _basePath = string.Empty;
    private IReadOnlyList<Acl> _acl = Acls.OpenUnsafe;
    private bool _disposed;

    public ZooKeeperMembershipTable(ZooKeeperProviderHost host, IOptions<ZooKeeperClusteringOptions> options, IOptions<ClusterOptions> clusterOptions, ILogger<ZooKeeperMembershipTable> logger)
    {
        _options = options.Value;
        ClusterId = clusterOptions.Value.ClusterId;
        _host = host;
        _logger = logger;
    }

    /// <summary>The provider's name with the host: its own container's name (health check <c>zookeeper:clustering</c>).</summary>
    public const string ProviderName = "clustering";

    /// <summary>This silo's (or client's) cluster id.</summary>
    public string ClusterId { get; }

    /// <summary>The table node, <c>{container path}/{ClusterId}</c> (known once connected).</summary>
    public string TablePath => TablePathOf(ClusterId);

    /// <summary>The container the table is kept through (connected on first use).</summary>
    internal ZooKeeperContainer Container => (Volatile.Read(ref _connection) ?? throw new InvalidOperationException("The ZooKeeper membership table has not been started.")).Container;

    /// <inheritdoc/>
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        // Connect early (startup errors surface before membership starts); let go late, after the silo wrote its last status.
        lifecycle.Subscribe(nameof(ZooKeeperMembershipTable), ServiceLifecycleStage.RuntimeInitialize, ct => ConnectAsync(ct), _ => DisposeAsync().AsTask());
    }

    /// <summary>Gets the connection from the provider host (once); later calls return its client at once.</summary>
    internal async Task<ZooKeeperClient> ConnectAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _connection) is { } ready)
        {
            return ready.Client;
        }

        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connection is { } existing)
            {
                return existing.Client;
            }

            var connection = await _host.ConnectAsync(ProviderName, _options, cancellationToken).ConfigureAwait(false);
            _basePath = connection.BasePath;
            _acl = connection.NodeAcl;
            Volatile.Write(ref _connection, connection);
            MembershipLog.Started(_logger, ClusterId, TablePath, connection.ContainerName, connection.Container.Target.ToString());
            return connection.Client;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private string TablePathOf(string clusterId) => MembershipLayout.TablePath(_basePath.Length == 0 ? "/" : _basePath, clusterId);

    public Task InitializeMembershipTable(bool tryInitTableVersion) => InitializeMembershipTableAsync(tryInitTableVersion, CancellationToken.None);

    /// <summary>Connects and, when asked to, creates the table node (version 0) unless it exists.</summary>
    public async Task InitializeMembershipTableAsync(bool tryInitTableVersion, CancellationToken cancellationToken)
    {
        var client = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        if (MembershipLayout.ClusterIdError(ClusterId) is { } error)
        {
            throw new OrleansConfigurationException(ZooKeeperClusteringOptionsValidator.Prefix + error);
        }

        if (!tryInitTableVersion)
        {
            return;
        }

        try
        {
            await client.CreateWithParentsAsync(TablePath, default, CreateMode.Persistent, _acl, null, cancellationToken).ConfigureAwait(false);
            MembershipLog.TableCreated(_logger, TablePath);
        }
        catch (NodeExistsException)
        {
        }
        catch (ZooKeeperException ex)
        {
            throw Failure("create the table node", TablePath, ex);
        }
    }

    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion) => InsertRowAsync(entry, tableVersion, CancellationToken.None);

    /// <summary>
    /// Creates the row and its heartbeat and bumps the table node from the version <paramref name="tableVersion"/>'s
    /// ETag names, in one transaction; false when the row exists or the table moved on.
    /// </summary>
    public async Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(tableVersion);
        var client = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var table = TablePath;
        var row = RowPath(table, entry.SiloAddress);
        List<Op> ops = [];
        int expected;
        if (tableVersion.VersionEtag == AbsentTableETag)
        {
            // The table node was missing when the caller read it: create it in the same transaction.
            ops.Add(Op.Create(table, default, CreateMode.Persistent, _acl));
            expected = 0;
        }
        else if (!TryParseVersion(tableVersion.VersionEtag, out expected))
        {
            return false;
        }

        ops.Add(Op.Create(row, MembershipEntryJson.SerializeRow(entry), CreateMode.Persistent, _acl));
        ops.Add(Op.Create(HeartbeatPath(row), MembershipEntryJson.SerializeHeartbeat(entry.IAmAliveTime), CreateMode.Persistent, _acl));
        ops.Add(Op.SetData(table, default, expected));
        return await TryCommitAsync(client, ops, "insert", row, cancellationToken).ConfigureAwait(false);
    }

    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion) => UpdateRowAsync(entry, etag, tableVersion, CancellationToken.None);

    /// <summary>
    /// Replaces the row when its znode version is <paramref name="etag"/> and bumps the table node from the version
    /// <paramref name="tableVersion"/>'s ETag names, in one transaction; false when either moved on or the row is gone.
    /// The heartbeat is left alone (a vote written from an older read never turns a silo's heartbeat back).
    /// </summary>
    public async Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(tableVersion);
        var client = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var table = TablePath;
        var row = RowPath(table, entry.SiloAddress);
        if (!TryParseVersion(etag, out var rowVersion) || !TryParseVersion(tableVersion.VersionEtag, out var expected))
        {
            return false;
        }

        Op[] ops = [Op.SetData(row, MembershipEntryJson.SerializeRow(entry), rowVersion), Op.SetData(table, default, expected)];
        return await TryCommitAsync(client, ops, "update", row, cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> TryCommitAsync(ZooKeeperClient client, IReadOnlyList<Op> ops, string operation, string row, CancellationToken cancellationToken)
    {
        try
        {
            await client.MultiAsync(ops, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ZooKeeperException ex) when (ex.Results is not null && ex.Code is ZkError.BadVersion or ZkError.NodeExists or ZkError.NoNode)
        {
            // The row exists (insert), is gone or moved on (update), or the table moved on: a lost race, not an error.
            return false;
        }
        catch (ZooKeeperException ex)
        {
            throw Failure(operation + " the row", row, ex);
        }
    }

    public Task UpdateIAmAlive(MembershipEntry entry) => UpdateIAmAliveAsync(entry, CancellationToken.None);

    /// <summary>
    /// Writes the heartbeat node only (unconditionally): neither the row ETag nor the table version changes. A missing
    /// row is an error; a row whose heartbeat node is missing gets it back.
    /// </summary>
    public async Task UpdateIAmAliveAsync(MembershipEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var client = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var row = RowPath(TablePath, entry.SiloAddress);
        var heartbeat = HeartbeatPath(row);
        var data = MembershipEntryJson.SerializeHeartbeat(entry.IAmAliveTime);
        try
        {
            await client.SetDataAsync(heartbeat, data, -1, cancellationToken).ConfigureAwait(false);
        }
        catch (NoNodeException ex)
        {
            try
            {
                // Only under an existing row: the check fails the create when the row is gone.
                await client.MultiAsync([Op.Check(row, -1), Op.Create(heartbeat, data, CreateMode.Persistent, _acl)], cancellationToken).ConfigureAwait(false);
                MembershipLog.HeartbeatRecreated(_logger, heartbeat);
            }
            catch (ZooKeeperException inner) when (inner.Results is not null && inner.FailedOperationIndex == 0)
            {
                throw new ZooKeeperMembershipException($"ZooKeeper clustering (cluster '{ClusterId}'): cannot update the heartbeat of silo {entry.SiloAddress}: its row {row} does not exist.", row, ex);
            }
            catch (NodeExistsException)
            {
                await client.SetDataAsync(heartbeat, data, -1, cancellationToken).ConfigureAwait(false);
            }
            catch (ZooKeeperException inner)
            {
                throw Failure("update the heartbeat", heartbeat, inner);
            }
        }
        catch (ZooKeeperException ex)
        {
            throw Failure("update the heartbeat", heartbeat, ex);
        }
    }

    public Task DeleteMembershipTableEntries(string clusterId) => DeleteMembershipTableEntriesAsync(clusterId, CancellationToken.None);

    /// <summary>
    /// Deletes every row of <paramref name="clusterId"/> (with its heartbeat), then the table node unless something
    /// that is not a row lives under it.
    /// </summary>
    public async Task DeleteMembershipTableEntriesAsync(string clusterId, CancellationToken cancellationToken)
    {
        if (MembershipLayout.ClusterIdError(clusterId) is { } error)
        {
            throw new ArgumentException(error, nameof(clusterId));
        }

        var client = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        var table = TablePathOf(clusterId);
        var count = 0;
        try
        {
            IReadOnlyList<string> children;
            try
            {
                children = await client.GetChildrenAsync(table, null, cancellationToken).ConfigureAwait(false);
            }
            catch (NoNodeException)
            {
                return;
            }

            foreach (var child in children)
            {
                if (TryParseRowName(child, out _))
                {
                    await client.DeleteRecursiveAsync(ZooKeeperPath.Combine(table, child), cancellationToken).ConfigureAwait(false);
                    count++;
                }
            }

            try
            {
                await client.DeleteAsync(table, -1, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NotEmptyException or NoNodeException)
            {
                // Other components' nodes live below it (or it is gone already): keep it.
            }
        }
        catch (ZooKeeperException ex)
        {
            throw Failure("delete the rows", table, ex);
        }

        MembershipLog.EntriesDeleted(_logger, clusterId, count, table);
    }

    private ZooKeeperMembershipException Failure(string operation, string path, ZooKeeperException ex)
        => new($"ZooKeeper clustering (cluster '{ClusterId}') could not {operation} at {path}: {ex.Message}", path, ex);

    /// <summary>Hands the connection back to the provider host (which closes the table's own container with it).</summary>
    public async ValueTask DisposeAsync()
    {
        await _connectLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (Interlocked.Exchange(ref _connection, null) is { } connection)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _connectLock.Release();
        }
    }
}
