using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using Orleans.ZooKeeper;
using Orleans.ZooKeeper.Client;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>
/// Grain storage that keeps each grain state as one znode (see <see cref="StateLayout"/>) with an incarnation guard
/// child. The ETag is <c>{czxid:x}-{version}</c> (see <see cref="StateETag"/>). Every conditional write checks, in one
/// transaction, the node's version and the existence of the child named after its creation zxid, so an ETag taken
/// before a delete can never match a re-created node. Stored data carries the format that wrote it (see
/// <see cref="StateCodec"/>).
/// </summary>
internal sealed partial class ZooKeeperGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly string _name;
    private readonly string _serviceId;
    private readonly ZooKeeperGrainStorageOptions _options;
    private readonly Func<CancellationToken, Task<ZooKeeperConnection>> _connect;
    private readonly ILogger _logger;
    private readonly StateCodec _codec;
    private readonly IActivatorProvider? _activators;
    private ZooKeeperConnection? _connection;
    private StateLayout _layout = new("/", null);
    private IReadOnlyList<Acl> _acl = Acls.OpenUnsafe;
    private bool _legacyReads;

    public ZooKeeperGrainStorage(
        string name,
        string serviceId,
        ZooKeeperGrainStorageOptions options,
        Func<CancellationToken, Task<ZooKeeperConnection>> connect,
        ILogger logger,
        IServiceProvider? services = null,
        IGrainStorageSerializer? siloSerializer = null,
        IActivatorProvider? activators = null)
    {
        _name = name;
        _serviceId = serviceId;
        _options = options;
        _connect = connect;
        _logger = logger;
        _activators = activators;
        _codec = new StateCodec(options, siloSerializer, services);
    }

    /// <summary>The znode all states live under: {container path}/{ServiceId}.</summary>
    public string Root => _layout.Root;

    /// <summary>Whether reads also look at the version-1 layout (decided at startup).</summary>
    internal bool ReadsLegacyLayout => _legacyReads;

    /// <summary>The connection the provider works through (from the provider host).</summary>
    internal ZooKeeperConnection Connection => Volatile.Read(ref _connection) ?? throw new InvalidOperationException($"ZooKeeper grain storage '{_name}' has not been started.");

    /// <summary>The container behind <see cref="Connection"/> (tests).</summary>
    internal ZooKeeperContainer Container => Connection.Container;

    public void Participate(ISiloLifecycle lifecycle)
        => lifecycle.Subscribe(OptionFormattingUtilities.Name<ZooKeeperGrainStorage>(_name), _options.InitStage, InitAsync, CloseAsync);

    /// <summary>
    /// Starts the provider: gets its connection from the provider host, ensures the root, decides whether reads look
    /// at the version-1 layout too, and checks that the servers support TTL nodes when states expire.
    /// </summary>
    public async Task InitAsync(CancellationToken cancellationToken)
    {
        var connection = await _connect(cancellationToken).ConfigureAwait(false);
        try
        {
            var client = connection.Client;
            _acl = connection.NodeAcl;
            _layout = new StateLayout(ZooKeeperPath.Combine(connection.BasePath, ZNodeNames.Encode(_serviceId)), _options.GetStorageKey);
            await client.EnsurePathAsync(_layout.Root, _acl, cancellationToken).ConfigureAwait(false);
            _legacyReads = _options.ReadLegacyLayout ?? (!_layout.IsCustom && await HoldsLegacyDataAsync(client, cancellationToken).ConfigureAwait(false));
            if (_options.StateExpiry is { } expiry)
            {
                await CheckTtlSupportAsync(client, expiry, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        Volatile.Write(ref _connection, connection);
        StorageLog.Started(_logger, _name, _layout.Root, connection.ContainerName, _legacyReads, _options.StateExpiry?.ToString() ?? "none");
    }

    /// <summary>
    /// True when the root holds grain type nodes but no layout marker (data from version 1 may be there); a root
    /// without any is marked, so nothing below it is ever looked for in the old layout.
    /// </summary>
    private async Task<bool> HoldsLegacyDataAsync(ZooKeeperClient client, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> children;
        try
        {
            children = await client.GetChildrenAsync(_layout.Root, null, cancellationToken).ConfigureAwait(false);
        }
        catch (NoAuthException ex)
        {
            // Not allowed to look (e.g. other credentials than the ones the nodes were made with): reads will say so;
            // until then assume data from before may be there.
            StorageLog.LayoutUnknown(_logger, ex, _name, _layout.Root);
            return true;
        }

        if (children.Contains(StateLayout.MarkerName, StringComparer.Ordinal))
        {
            return false;
        }

        // Grain type nodes have encoded names; anything else (e.g. membership rows when ServiceId == ClusterId) is not ours.
        if (children.Any(ZNodeNames.IsEncoded))
        {
            return true;
        }

        try
        {
            await client.CreateAsync(_layout.MarkerPath, "2"u8.ToArray(), CreateMode.Persistent, _acl, null, cancellationToken).ConfigureAwait(false);
        }
        catch (NodeExistsException)
        {
        }

        return false;
    }

    /// <summary>Creates and deletes a TTL node: a server without extended types refuses it, and the silo does not start.</summary>
    private async Task CheckTtlSupportAsync(ZooKeeperClient client, TimeSpan expiry, CancellationToken cancellationToken)
    {
        var probe = ZooKeeperPath.Combine(_layout.Root, "ttl-probe." + Guid.NewGuid().ToString("N"));
        try
        {
            await client.CreateAsync(probe, default, CreateMode.PersistentWithTtl, _acl, expiry, cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code is Orleans.ZooKeeper.Client.ErrorCode.Unimplemented or Orleans.ZooKeeper.Client.ErrorCode.BadArguments)
        {
            throw new ZooKeeperStorageException(
                $"ZooKeeper grain storage '{_name}' (ServiceId={_serviceId}): {nameof(ZooKeeperGrainStorageOptions.StateExpiry)} is {expiry}, which needs TTL nodes, " +
                $"and the ZooKeeper server refused to create one ({ex.Code}). TTL nodes are off unless every server runs with -Dzookeeper.extendedTypesEnabled=true " +
                "(e.g. in SERVER_JVMFLAGS); enable it, or leave StateExpiry unset.",
                ex);
        }

        await client.DeleteAsync(probe, -1, cancellationToken).ConfigureAwait(false);
    }

    private async Task CloseAsync(CancellationToken cancellationToken)
    {
        // Handed back, but kept: a shared container stays usable, an own one reports itself closed to later calls.
        if (Volatile.Read(ref _connection) is { } connection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The znode of a grain's state (the current layout, or the node <c>GetStorageKey</c> chooses).</summary>
    public string PathFor(GrainId grainId, string stateName)
    {
        var path = _layout.PathFor(stateName, grainId, out var error);
        return error is null ? path : throw new ArgumentException(error);
    }

    /// <summary>The znode a grain's state had in the version-1 layout.</summary>
    internal string LegacyPathFor(GrainId grainId, string stateName) => _layout.LegacyPathFor(stateName, grainId);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var call = Begin(StorageOperation.Read, stateName, grainId, grainState, cancellationToken);
        var outcome = StorageTelemetry.Outcomes.Error;
        Exception? error = null;
        try
        {
            var client = Connected(call);
            StoredNode? found;
            if (_legacyReads)
            {
                found = await ReadBothLayoutsAsync(client, call).ConfigureAwait(false);
            }
            else
            {
                // The common case in this method's own frame: one getData.
                try
                {
                    var result = await client.GetDataAsync(call.Path, null, cancellationToken).ConfigureAwait(false);
                    found = new StoredNode(result.Data, result.Stat, Legacy: false);
                }
                catch (NoNodeException)
                {
                    found = null;
                }
                catch (ZooKeeperException ex)
                {
                    throw Failure(call, call.Path, ex);
                }
            }

            if (found is not { } node || node.Data.Length == 0)
            {
                // No node, or one cleared with DeleteStateOnClear off (its version keeps counting): no record.
                ResetState(grainState, found is { } cleared ? StateETag.Format(cleared.Stat, cleared.Legacy) : null);
                outcome = StorageTelemetry.Outcomes.NotFound;
                StorageLog.NotFound(_logger, _serviceId, _name, grainId.Type, grainId, grainState.ETag, stateName, call.Path);
                return;
            }

            var etag = StateETag.Format(node.Stat, node.Legacy);
            grainState.State = Deserialize<T>(node.Data, call, etag, node.Legacy ? LegacyPathFor(grainId, stateName) : call.Path);
            grainState.ETag = etag;
            grainState.RecordExists = true;
            outcome = StorageTelemetry.Outcomes.Ok;
            StorageTelemetry.RecordSize(StorageOperation.Read, _name, node.Data.Length);
            StorageLog.Read(_logger, _serviceId, _name, grainId.Type, grainId, etag, stateName, call.Path);
        }
        catch (Exception ex)
        {
            error = ex;
            throw;
        }
        finally
        {
            StorageTelemetry.Complete(call.Activity, call.Start, StorageOperation.Read, _name, outcome, error);
        }
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var call = Begin(StorageOperation.Write, stateName, grainId, grainState, cancellationToken);
        var outcome = StorageTelemetry.Outcomes.Error;
        Exception? error = null;
        try
        {
            using var encoded = Encode(grainState.State, call);
            var client = Connected(call);
            Stat stat;
            if (call.ETag is not null && StateETag.TryParse(call.ETag, out var czxid, out var version, out var legacy) && !legacy)
            {
                // The common case in this method's own frame: one guarded transaction; failures go the long way.
                var ops = UpdateOps(call.Paths.GuardPath(czxid), call.Path, encoded.Data, version);
                IReadOnlyList<OpResult> results;
                try
                {
                    results = await client.MultiAsync(ops, cancellationToken).ConfigureAwait(false);
                }
                catch (ZooKeeperException ex)
                {
                    await RepairOrThrowAsync(client, call, call.Path, czxid, ex, 0).ConfigureAwait(false);
                    results = await GuardedAsync(client, call, call.Path, czxid, ops, firstAttempt: 1).ConfigureAwait(false);
                }

                stat = ((SetDataOpResult)results[1]).Stat;
            }
            else
            {
                stat = await WriteNodeAsync(client, call, encoded.Data).ConfigureAwait(false);
            }

            grainState.ETag = StateETag.Format(stat);
            grainState.RecordExists = true;
            outcome = StorageTelemetry.Outcomes.Ok;
            StorageTelemetry.RecordSize(StorageOperation.Write, _name, encoded.Data.Length);
            StorageLog.Wrote(_logger, _serviceId, _name, grainId.Type, grainId, grainState.ETag, stateName, call.Path);
        }
        catch (Exception ex)
        {
            (error, outcome) = (ex, Outcome(ex));
            throw;
        }
        finally
        {
            StorageTelemetry.Complete(call.Activity, call.Start, StorageOperation.Write, _name, outcome, error);
        }
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var call = Begin(StorageOperation.Clear, stateName, grainId, grainState, cancellationToken);
        var outcome = StorageTelemetry.Outcomes.Error;
        Exception? error = null;
        try
        {
            var etag = await ClearNodeAsync(Connected(call), call).ConfigureAwait(false);
            ResetState(grainState, etag);
            outcome = StorageTelemetry.Outcomes.Ok;
            StorageLog.Cleared(_logger, _serviceId, _name, grainId.Type, grainId, etag, stateName, call.Path);
        }
        catch (Exception ex)
        {
            (error, outcome) = (ex, Outcome(ex));
            throw;
        }
        finally
        {
            StorageTelemetry.Complete(call.Activity, call.Start, StorageOperation.Clear, _name, outcome, error);
        }
    }

    private static string Outcome(Exception ex) => ex is InconsistentStateException ? StorageTelemetry.Outcomes.Conflict : StorageTelemetry.Outcomes.Error;

    /// <summary>The call's context: its node (a bad <c>GetStorageKey</c> result fails here) and, when anyone listens, its timing and span.</summary>
    private StorageCall Begin<T>(StorageOperation operation, string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var paths = StatePaths.For(grainState, _layout, stateName, grainId, out var error)
            ?? throw new ZooKeeperStorageException($"{Tokens("Storage key refused", operation, grainId, grainState.ETag)} State '{stateName}': {error}. Nothing was sent.");
        return new StorageCall(operation, stateName, grainId, grainState.ETag, paths, StorageTelemetry.StartTimestamp(), StorageTelemetry.StartActivity(operation, _name, grainId, stateName, paths.Path), cancellationToken);
    }

    private void ResetState<T>(IGrainState<T> grainState, string? etag)
    {
        grainState.State = CreateDefault<T>();
        grainState.ETag = etag;
        grainState.RecordExists = false;
    }

    /// <summary>The default state, made by Orleans' activator for the type when the silo has one (as Orleans' providers do).</summary>
    private T CreateDefault<T>()
    {
        if (_activators is not null)
        {
            return _activators.GetActivator<T>().Create();
        }

        try
        {
            return Activator.CreateInstance<T>();
        }
        catch (MissingMethodException)
        {
            return default!;
        }
    }

    internal static string ETag(Stat stat) => StateETag.Format(stat);
}
