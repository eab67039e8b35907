using System.Globalization;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.ZooKeeper;
using Orleans.ZooKeeper.Client;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>
/// Grain storage that keeps each grain state as one znode:
/// <c>{container path}/{ServiceId}/{grain type}/{grain key}/{state name}</c> (each segment encoded by
/// <see cref="ZNodeNames"/>). The ETag is <c>{czxid:x}-{version}</c>: the node's creation zxid tells incarnations
/// apart, because a node's version restarts at 0 when it is deleted and created again. Every conditional write checks,
/// in one transaction, the node's version and the existence of a child named after the czxid ("incarnation guard"),
/// so an ETag taken before a delete can never match a re-created node.
/// </summary>
internal sealed partial class ZooKeeperGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly string _name;
    private readonly string _serviceId;
    private readonly ZooKeeperGrainStorageOptions _options;
    private readonly Func<ZooKeeperContainer> _containerFactory;
    private readonly bool _ownsContainer;
    private readonly ILogger _logger;
    private ZooKeeperContainer? _container;
    private string _root = string.Empty;
    private IReadOnlyList<Acl> _acl = Acls.OpenUnsafe;

    public ZooKeeperGrainStorage(string name, string serviceId, ZooKeeperGrainStorageOptions options, Func<ZooKeeperContainer> containerFactory, bool ownsContainer, ILogger logger)
    {
        _name = name;
        _serviceId = serviceId;
        _options = options;
        _containerFactory = containerFactory;
        _ownsContainer = ownsContainer;
        _logger = logger;
    }

    /// <summary>The znode all states live under: {container path}/{ServiceId}.</summary>
    public string Root => _root;

    /// <summary>The container once the provider has started, else null.</summary>
    internal ZooKeeperContainer? StartedContainer => _container;

    internal ZooKeeperContainer Container => _container ?? throw new InvalidOperationException($"ZooKeeper grain storage '{_name}' has not been started.");

    public void Participate(ISiloLifecycle lifecycle)
        => lifecycle.Subscribe(OptionFormattingUtilities.Name<ZooKeeperGrainStorage>(_name), _options.InitStage, InitAsync, CloseAsync);

    /// <summary>Starts the provider (connects its own container when it has one).</summary>
    public async Task InitAsync(CancellationToken cancellationToken)
    {
        var container = _containerFactory();
        if (_ownsContainer)
        {
            await container.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        _container = container;
        _acl = container.NodeAcl;
        _root = ZooKeeperPath.Combine(container.BasePath, ZNodeNames.Encode(_serviceId));
        StorageLog.Started(_logger, _name, _root, container.Name);
    }

    private async Task CloseAsync(CancellationToken cancellationToken)
    {
        if (_ownsContainer && _container is not null)
        {
            await _container.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The znode of a grain's state.</summary>
    public string PathFor(GrainId grainId, string stateName)
        => $"{_root}/{ZNodeNames.Encode(grainId.Type.ToString()!)}/{ZNodeNames.Encode(grainId.Key.ToString()!)}/{ZNodeNames.Encode(stateName)}";

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathFor(grainId, stateName);
        var client = Connected(stateName, grainId, grainState.ETag, "read");
        DataResult result;
        try
        {
            result = await client.GetDataAsync(path).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            ResetState(grainState, null);
            return;
        }
        catch (ZooKeeperException ex)
        {
            throw Failure("read", stateName, grainId, grainState.ETag, path, ex);
        }

        var etag = ETag(result.Stat);
        if (result.Data.Length == 0)
        {
            // Cleared with DeleteStateOnClear off: the node stays (its version keeps counting) but holds no record.
            ResetState(grainState, etag);
            return;
        }

        grainState.State = Deserialize<T>(result.Data, stateName, grainId, etag, path);
        grainState.ETag = etag;
        grainState.RecordExists = true;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathFor(grainId, stateName);
        var data = Serialize(grainState.State, stateName, grainId, grainState.ETag, path);
        var client = Connected(stateName, grainId, grainState.ETag, "write");
        var stat = await WriteAsync(client, path, data, grainState.ETag, stateName, grainId, "write").ConfigureAwait(false);
        grainState.ETag = ETag(stat);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathFor(grainId, stateName);
        var client = Connected(stateName, grainId, grainState.ETag, "clear");
        if (grainState.ETag is null)
        {
            // Nothing to clear is fine; a record we were not told about is a conflict.
            Stat? stored;
            try
            {
                stored = await client.ExistsAsync(path).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex)
            {
                throw Failure("clear", stateName, grainId, null, path, ex);
            }

            if (stored is { } s)
            {
                throw Conflict("clear", stateName, grainId, null, ETag(s), path);
            }

            ResetState(grainState, null);
            return;
        }

        if (_options.DeleteStateOnClear)
        {
            var (czxid, version) = ParseETag(grainState.ETag, "clear", stateName, grainId, path);
            await GuardedAsync(client, path, czxid, grainState.ETag, stateName, grainId, "clear",
                () => client.MultiAsync([Op.Delete(GuardPath(path, czxid)), Op.Delete(path, version)])).ConfigureAwait(false);
            ResetState(grainState, null);
        }
        else
        {
            var stat = await WriteAsync(client, path, ReadOnlyMemory<byte>.Empty, grainState.ETag, stateName, grainId, "clear").ConfigureAwait(false);
            ResetState(grainState, ETag(stat));
        }
    }

    private async Task<Stat> WriteAsync(ZooKeeperClient client, string path, ReadOnlyMemory<byte> data, string? etag, string stateName, GrainId grainId, string operation)
    {
        if (etag is null)
        {
            CreateResult created;
            try
            {
                created = await client.CreateWithParentsAsync(path, data, CreateMode.Persistent, _acl).ConfigureAwait(false);
            }
            catch (NodeExistsException)
            {
                throw Conflict(operation, stateName, grainId, null, await StoredETagAsync(client, path).ConfigureAwait(false), path);
            }
            catch (ZooKeeperException ex)
            {
                throw Failure(operation, stateName, grainId, null, path, ex);
            }

            await CreateGuardAsync(client, path, created.Stat.Czxid, stateName, grainId).ConfigureAwait(false);
            return created.Stat;
        }

        var (czxid, version) = ParseETag(etag, operation, stateName, grainId, path);
        var results = await GuardedAsync(client, path, czxid, etag, stateName, grainId, operation,
            () => client.MultiAsync([Op.Check(GuardPath(path, czxid), -1), Op.SetData(path, data, version)])).ConfigureAwait(false);
        return ((SetDataOpResult)results[1]).Stat;
    }

    /// <summary>
    /// Runs a transaction whose first operation touches the incarnation guard. A missing guard on the node the ETag
    /// names (a crash between creating a node and its guard) is repaired once; anything else is a conflict.
    /// </summary>
    private async Task<IReadOnlyList<OpResult>> GuardedAsync(ZooKeeperClient client, string path, long czxid, string etag, string stateName, GrainId grainId, string operation, Func<ValueTask<IReadOnlyList<OpResult>>> transaction)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await transaction().ConfigureAwait(false);
            }
            catch (ZooKeeperException ex) when (ex.Results is not null)
            {
                if (ex.FailedOperationIndex == 0 && ex.Code == Orleans.ZooKeeper.Client.ErrorCode.NoNode && attempt == 0)
                {
                    Stat? current;
                    try
                    {
                        current = await client.ExistsAsync(path).ConfigureAwait(false);
                    }
                    catch (ZooKeeperException inner)
                    {
                        throw Failure(operation, stateName, grainId, etag, path, inner);
                    }

                    if (current is { } c && c.Czxid == czxid)
                    {
                        await CreateGuardAsync(client, path, czxid, stateName, grainId).ConfigureAwait(false);
                        StorageLog.GuardRepaired(_logger, _name, path);
                        continue;
                    }

                    throw Conflict(operation, stateName, grainId, etag, current is { } s ? ETag(s) : null, path);
                }

                if (ex.Code is Orleans.ZooKeeper.Client.ErrorCode.NoNode or Orleans.ZooKeeper.Client.ErrorCode.BadVersion)
                {
                    throw Conflict(operation, stateName, grainId, etag, await StoredETagAsync(client, path).ConfigureAwait(false), path);
                }

                throw Failure(operation, stateName, grainId, etag, path, ex);
            }
            catch (ZooKeeperException ex)
            {
                throw Failure(operation, stateName, grainId, etag, path, ex);
            }
        }
    }

    private async Task CreateGuardAsync(ZooKeeperClient client, string path, long czxid, string stateName, GrainId grainId)
    {
        try
        {
            await client.CreateAsync(GuardPath(path, czxid), default, CreateMode.Persistent, _acl).ConfigureAwait(false);
        }
        catch (NodeExistsException)
        {
        }
        catch (ZooKeeperException ex)
        {
            // The state is written; the guard will be repaired by the next conditional write.
            StorageLog.Failed(_logger, ex, _name, $"{Context("write", stateName, grainId, null)}: could not create the incarnation guard of {path}");
        }
    }

    private static string GuardPath(string path, long czxid) => path + "/" + czxid.ToString("x", CultureInfo.InvariantCulture);

    private async Task<string?> StoredETagAsync(ZooKeeperClient client, string path)
    {
        try
        {
            return await client.ExistsAsync(path).ConfigureAwait(false) is { } s ? ETag(s) : null;
        }
        catch (ZooKeeperException)
        {
            return "(unknown: could not read it back)";
        }
    }

    private ZooKeeperClient Connected(string stateName, GrainId grainId, string? etag, string operation)
    {
        var container = Container;
        var state = container.Client.State;
        if (state != ConnectionState.Connected)
        {
            // Fail at once rather than wait for a reconnect: Orleans retries at the grain level.
            throw new ZooKeeperStorageException($"{Context(operation, stateName, grainId, etag)}: ZooKeeper container '{container.Name}' is {state.ToString().ToUpperInvariant()} (not connected); try again when it is CONNECTED.");
        }

        return container.Client;
    }

    private static void ResetState<T>(IGrainState<T> grainState, string? etag)
    {
        grainState.State = CreateDefault<T>();
        grainState.ETag = etag;
        grainState.RecordExists = false;
    }

    private static T CreateDefault<T>()
    {
        try
        {
            return Activator.CreateInstance<T>();
        }
        catch (MissingMethodException)
        {
            return default!;
        }
    }

    internal static string ETag(Stat stat) => string.Create(CultureInfo.InvariantCulture, $"{stat.Czxid:x}-{stat.Version}");

    private (long Czxid, int Version) ParseETag(string etag, string operation, string stateName, GrainId grainId, string path)
    {
        var dash = etag.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0
            && long.TryParse(etag.AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var czxid)
            && int.TryParse(etag.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            return (czxid, version);
        }

        throw Conflict(operation, stateName, grainId, etag, "(not read: the given ETag is not one this provider issues)", path);
    }

    private string Context(string operation, string stateName, GrainId grainId, string? etag)
        => $"ZooKeeper grain storage '{_name}' (ServiceId '{_serviceId}'): {operation} of state '{stateName}' for grain type '{grainId.Type}', grain id '{grainId}', ETag '{etag ?? "(none)"}'";

    private InconsistentStateException Conflict(string operation, string stateName, GrainId grainId, string? etag, string? storedETag, string path)
        => new($"{Context(operation, stateName, grainId, etag)} conflicts with the stored state (stored ETag '{storedETag ?? "(none: no record)"}', node {path}). The stored data was not changed.", storedETag, etag);

    private ZooKeeperStorageException Failure(string operation, string stateName, GrainId grainId, string? etag, string path, ZooKeeperException ex)
    {
        var message = $"{Context(operation, stateName, grainId, etag)} failed on node {path}: {ex.Message}";
        StorageLog.Failed(_logger, ex, _name, message);
        return new ZooKeeperStorageException(message, ex);
    }
}
