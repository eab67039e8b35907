using Orleans.ZooKeeper.Client;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>A state node as read: its data and stat, and whether it is in the version-1 layout.</summary>
internal readonly record struct StoredNode(byte[] Data, Stat Stat, bool Legacy);

// Reading and writing state nodes: one getData per read (a multiRead of both nodes while the version-1 layout may
// hold data), creates with the incarnation guard, guarded transactions, clears, and moving a state out of the
// version-1 layout at its next write. (The type is documented in ZooKeeperGrainStorage.cs.)
internal sealed partial class ZooKeeperGrainStorage
{
    private CreateMode NodeMode => _options.StateExpiry is null ? CreateMode.Persistent : CreateMode.PersistentWithTtl;

    /// <summary>The state's node in the current layout or, failing that, version 1's — one multiRead — or null.</summary>
    private async Task<StoredNode?> ReadBothLayoutsAsync(ZooKeeperClient client, StorageCall call)
    {
        try
        {
            // The current layout wins (a state is moved atomically, so both never hold it).
            var results = await client.MultiReadAsync([Op.GetData(call.Path), Op.GetData(LegacyPathFor(call.GrainId, call.StateName))], call.Cancellation).ConfigureAwait(false);
            for (var i = 0; i < 2; i++)
            {
                switch (results[i])
                {
                    case GetDataOpResult found:
                        return new StoredNode(found.Data, found.Stat, Legacy: i == 1);
                    case ErrorOpResult { Code: Orleans.ZooKeeper.Client.ErrorCode.NoNode }:
                        continue;
                    case ErrorOpResult:
                        // Read that node alone: its error comes back as the client's typed exception (NoAuth, ...).
                        var alone = await client.GetDataAsync(i == 0 ? call.Path : LegacyPathFor(call.GrainId, call.StateName), null, call.Cancellation).ConfigureAwait(false);
                        return new StoredNode(alone.Data, alone.Stat, Legacy: i == 1);
                }
            }

            return null;
        }
        catch (NoNodeException)
        {
            return null;
        }
        catch (ZooKeeperException ex)
        {
            throw Failure(call, call.Path, ex);
        }
    }

    /// <summary>Writes <paramref name="data"/> as the call's ETag allows: a create without one, else a guarded update (or a move out of the version-1 layout).</summary>
    private async Task<Stat> WriteNodeAsync(ZooKeeperClient client, StorageCall call, ReadOnlyMemory<byte> data)
    {
        if (call.ETag is null)
        {
            return await CreateNodeAsync(client, call, data).ConfigureAwait(false);
        }

        var (czxid, version, legacy) = ParseETag(call);
        if (legacy)
        {
            return await MoveLegacyAsync(client, call, czxid, version, data).ConfigureAwait(false);
        }

        var results = await GuardedAsync(client, call, call.Path, czxid, UpdateOps(call.Paths.GuardPath(czxid), call.Path, data, version)).ConfigureAwait(false);
        return ((SetDataOpResult)results[1]).Stat;
    }

    /// <summary>
    /// The update transaction: the incarnation guard (checked, or touched with setData when states expire, so it lives
    /// as long as the state), then setData at the ETag's version.
    /// </summary>
    private Op[] UpdateOps(string guard, string path, ReadOnlyMemory<byte> data, int version)
    {
        return [_options.StateExpiry is null ? Op.Check(guard, -1) : Op.SetData(guard, default, -1), Op.SetData(path, data, version)];
    }

    /// <summary>Clears as configured; returns the ETag the clear leaves (null when the node is gone).</summary>
    private async Task<string?> ClearNodeAsync(ZooKeeperClient client, StorageCall call)
    {
        if (call.ETag is null)
        {
            // Nothing to clear is fine; a record we were not told about is a conflict.
            if (await StoredETagAsync(client, call).ConfigureAwait(false) is { } stored)
            {
                throw Conflict(call, stored, call.Path);
            }

            return null;
        }

        if (!_options.DeleteStateOnClear)
        {
            return StateETag.Format(await WriteNodeAsync(client, call, ReadOnlyMemory<byte>.Empty).ConfigureAwait(false));
        }

        var (czxid, version, legacy) = ParseETag(call);
        var path = legacy ? LegacyPathFor(call.GrainId, call.StateName) : call.Path;
        await GuardedAsync(client, call, path, czxid, [Op.Delete(StateLayout.GuardPath(path, czxid)), Op.Delete(path, version)]).ConfigureAwait(false);
        if (legacy)
        {
            await DeleteIfEmptyAsync(client, ZooKeeperPath.GetParent(path)!, call.Cancellation).ConfigureAwait(false); // the version-1 grain key node
        }

        return null;
    }

    /// <summary>Creates the state node (and container nodes above it as needed), then its incarnation guard.</summary>
    private async Task<Stat> CreateNodeAsync(ZooKeeperClient client, StorageCall call, ReadOnlyMemory<byte> data)
    {
        if (_legacyReads && await LegacyETagAsync(client, call).ConfigureAwait(false) is { } legacy)
        {
            // A record in the version-1 layout the caller was not told about.
            throw Conflict(call, legacy, LegacyPathFor(call.GrainId, call.StateName));
        }

        Stat created;
        try
        {
            created = await CreateWithContainersAsync(client, call.Path, data, call.Cancellation).ConfigureAwait(false);
        }
        catch (NodeExistsException)
        {
            throw Conflict(call, await StoredETagAsync(client, call).ConfigureAwait(false), call.Path);
        }
        catch (ZooKeeperException ex)
        {
            throw Failure(call, call.Path, ex);
        }

        await CreateGuardAsync(client, call, call.Path, created.Czxid).ConfigureAwait(false);
        return created;
    }

    /// <summary>Creates <paramref name="path"/>; missing nodes between the root and it are created as container nodes, which the server removes once empty.</summary>
    private async Task<Stat> CreateWithContainersAsync(ZooKeeperClient client, string path, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return (await client.CreateAsync(path, data, NodeMode, _acl, _options.StateExpiry, cancellationToken).ConfigureAwait(false)).Stat;
            }
            catch (NoNodeException) when (attempt < 5)
            {
                // A container may also vanish between its creation and ours: then this goes round again.
                await client.EnsurePathAsync(_layout.Root, _acl, cancellationToken).ConfigureAwait(false);
                foreach (var parent in _layout.Intermediates(path))
                {
                    try
                    {
                        await client.CreateAsync(parent, default, CreateMode.Container, _acl, null, cancellationToken).ConfigureAwait(false);
                    }
                    catch (NodeExistsException)
                    {
                    }
                    catch (NoNodeException)
                    {
                        break;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Moves a state read from the version-1 layout to the current node in one transaction (check and delete the old
    /// guard, delete the old node at the ETag's version, create the new node), then guards the new node.
    /// </summary>
    private async Task<Stat> MoveLegacyAsync(ZooKeeperClient client, StorageCall call, long czxid, int version, ReadOnlyMemory<byte> data)
    {
        var legacyPath = LegacyPathFor(call.GrainId, call.StateName);
        var legacyGuard = StateLayout.GuardPath(legacyPath, czxid);
        await GuardedAsync(
            client,
            call,
            legacyPath,
            czxid,
            [Op.Check(legacyGuard, -1), Op.Delete(legacyGuard), Op.Delete(legacyPath, version), Op.Create(call.Path, data, NodeMode, _acl, _options.StateExpiry)]).ConfigureAwait(false);

        // ZooKeeper 3.8 answers a create inside a transaction with its path only: read the new node's czxid.
        Stat stat;
        try
        {
            stat = await client.ExistsAsync(call.Path, null, call.Cancellation).ConfigureAwait(false) ?? throw new NoNodeException(call.Path);
        }
        catch (ZooKeeperException ex)
        {
            throw Failure(call, call.Path, ex);
        }

        await CreateGuardAsync(client, call, call.Path, stat.Czxid).ConfigureAwait(false);
        await DeleteIfEmptyAsync(client, ZooKeeperPath.GetParent(legacyPath)!, call.Cancellation).ConfigureAwait(false);
        if (StorageTelemetry.Migrations.Enabled)
        {
            StorageTelemetry.Migrations.Add(1, new KeyValuePair<string, object?>(StorageTelemetry.ProviderTag, _name));
        }

        StorageLog.Moved(_logger, _serviceId, _name, call.GrainId.Type, call.GrainId, call.StateName, legacyPath, call.Path);

        // This call made version 0 of the new node; anything later is someone else's write.
        return stat with { Version = 0 };
    }

    /// <summary>
    /// Runs a transaction whose first operation touches the incarnation guard of <paramref name="path"/>. A missing
    /// guard on the node the ETag names (a crash between creating a node and its guard, or an expired guard) is
    /// repaired once; anything else that fails the transaction is a conflict.
    /// </summary>
    private async Task<IReadOnlyList<OpResult>> GuardedAsync(ZooKeeperClient client, StorageCall call, string path, long czxid, Op[] transaction, int firstAttempt = 0)
    {
        for (var attempt = firstAttempt; ; attempt++)
        {
            try
            {
                return await client.MultiAsync(transaction, call.Cancellation).ConfigureAwait(false);
            }
            catch (ZooKeeperException ex)
            {
                await RepairOrThrowAsync(client, call, path, czxid, ex, attempt).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// After a failed guarded transaction: repairs a missing guard of the node the ETag names (first attempt only) and
    /// returns, so the caller tries again; otherwise throws the conflict or the failure.
    /// </summary>
    private async Task RepairOrThrowAsync(ZooKeeperClient client, StorageCall call, string path, long czxid, ZooKeeperException ex, int attempt)
    {
        if (ex.Results is null)
        {
            throw Failure(call, path, ex);
        }

        if (ex.FailedOperationIndex == 0 && ex.Code == Orleans.ZooKeeper.Client.ErrorCode.NoNode && attempt == 0)
        {
            Stat? current;
            try
            {
                current = await client.ExistsAsync(path, null, call.Cancellation).ConfigureAwait(false);
            }
            catch (ZooKeeperException inner)
            {
                throw Failure(call, path, inner);
            }

            if (current is { } c && c.Czxid == czxid)
            {
                await CreateGuardAsync(client, call, path, czxid).ConfigureAwait(false);
                StorageLog.GuardRepaired(_logger, _name, path);
                return;
            }

            throw Conflict(call, await StoredETagAsync(client, call).ConfigureAwait(false), path);
        }

        if (ex.Code is Orleans.ZooKeeper.Client.ErrorCode.NoNode or Orleans.ZooKeeper.Client.ErrorCode.BadVersion or Orleans.ZooKeeper.Client.ErrorCode.NodeExists)
        {
            throw Conflict(call, await StoredETagAsync(client, call).ConfigureAwait(false), path);
        }

        throw Failure(call, path, ex);
    }

    private async Task CreateGuardAsync(ZooKeeperClient client, StorageCall call, string path, long czxid)
    {
        try
        {
            await client.CreateAsync(StateLayout.GuardPath(path, czxid), default, NodeMode, _acl, _options.StateExpiry, call.Cancellation).ConfigureAwait(false);
        }
        catch (NodeExistsException)
        {
        }
        catch (ZooKeeperException ex)
        {
            // The state is written; the guard will be repaired by the next conditional write.
            StorageLog.GuardFailed(_logger, ex, _name, StateLayout.GuardPath(path, czxid));
        }
    }

    /// <summary>Removes a node left without children (the version-1 grain key node); anything else is left alone.</summary>
    private static async Task DeleteIfEmptyAsync(ZooKeeperClient client, string path, CancellationToken cancellationToken)
    {
        try
        {
            await client.DeleteAsync(path, -1, cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code is Orleans.ZooKeeper.Client.ErrorCode.NotEmpty or Orleans.ZooKeeper.Client.ErrorCode.NoNode)
        {
        }
        catch (ZooKeeperException)
        {
            // Best effort: the state itself is done.
        }
    }

    /// <summary>The ETag of what is stored now (current layout first), null when nothing is, or a note when it cannot be read.</summary>
    private async Task<string?> StoredETagAsync(ZooKeeperClient client, StorageCall call)
    {
        try
        {
            if (!_legacyReads)
            {
                return await client.ExistsAsync(call.Path, null, call.Cancellation).ConfigureAwait(false) is { } s ? StateETag.Format(s) : null;
            }

            var current = client.ExistsAsync(call.Path, null, call.Cancellation);
            var legacy = client.ExistsAsync(LegacyPathFor(call.GrainId, call.StateName), null, call.Cancellation);
            var (a, b) = (await current.ConfigureAwait(false), await legacy.ConfigureAwait(false));
            return a is { } n ? StateETag.Format(n) : b is { } o ? StateETag.Format(o, legacy: true) : null;
        }
        catch (ZooKeeperException)
        {
            return "(unknown: could not read it back)";
        }
    }

    private async Task<string?> LegacyETagAsync(ZooKeeperClient client, StorageCall call)
    {
        try
        {
            return await client.ExistsAsync(LegacyPathFor(call.GrainId, call.StateName), null, call.Cancellation).ConfigureAwait(false) is { } s ? StateETag.Format(s, legacy: true) : null;
        }
        catch (ZooKeeperException ex)
        {
            throw Failure(call, LegacyPathFor(call.GrainId, call.StateName), ex);
        }
    }

    private (long Czxid, int Version, bool Legacy) ParseETag(StorageCall call)
        => StateETag.TryParse(call.ETag!, out var czxid, out var version, out var legacy) && !(legacy && (!_legacyReads || _layout.IsCustom))
            ? (czxid, version, legacy)
            : throw Conflict(call, "(not read: the given ETag is not one this provider issues)", call.Path);
}
