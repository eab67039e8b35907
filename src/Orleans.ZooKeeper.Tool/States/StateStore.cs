using Orleans.Persistence.ZooKeeper;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Tool.Cli;
using Orleans.ZooKeeper.Tool.Connecting;
using ZkError = Orleans.ZooKeeper.Client.ErrorCode;

namespace Orleans.ZooKeeper.Tool.States;

/// <summary>
/// Grain storage's layout for one service, <c>{base path}/{ServiceId}/{grain type}/{grain key}.{state name}</c> with
/// the incarnation guard <c>{state node}/{czxid:x}</c> (see the storage provider's <c>StateLayout</c>), read and
/// written the way the provider does: every write is conditional on the guard of the incarnation that was read and on
/// its version, so a state deleted and created again meanwhile is never overwritten or deleted.
/// </summary>
internal sealed class StateStore
{
    /// <summary>Reads in flight while listing (each its own reply: a multiRead of large states could pass the packet limit).</summary>
    private const int ReadsInFlight = 64;

    private const string MarkerName = "layout.v2";

    private readonly ToolSession _session;

    public StateStore(ToolSession session, string service)
    {
        _session = session;
        Service = service;
        Root = session.PathOf(ZooKeeperNodeNames.Encode(service));
    }

    public string Service { get; }

    /// <summary><c>{base path}/{ServiceId}</c>.</summary>
    public string Root { get; }

    private ZooKeeperClient Client => _session.Client;

    public string PathOf(StateName name) => Root + "/" + name.TypeSegment + "/" + name.NodeName;

    /// <summary>Where version 1 of the provider kept the state: <c>{root}/{type}/{key}/{state}</c>.</summary>
    public string LegacyPathOf(StateName name) => Root + "/" + name.TypeSegment + "/" + ZooKeeperNodeNames.Encode(name.Key) + "/" + ZooKeeperNodeNames.Encode(name.State);

    /// <summary>A node name decoded, or null when it is not one <see cref="ZooKeeperNodeNames"/> makes.</summary>
    public static string? TryDecode(string name)
    {
        try
        {
            return ZooKeeperNodeNames.IsEncoded(name) ? ZooKeeperNodeNames.Decode(name) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The services with grain state below the base path (children holding the layout marker).</summary>
    public static async Task<IReadOnlyList<string>> ServicesAsync(ToolSession session, CancellationToken cancellationToken)
    {
        var found = new List<string>();
        IReadOnlyList<string> children;
        try
        {
            children = await session.Client.GetChildrenAsync(session.BasePath, null, cancellationToken).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            return found;
        }

        foreach (var child in children.Order(StringComparer.Ordinal))
        {
            if (TryDecode(child) is { } service && await session.Client.ExistsAsync(session.PathOf(child) + "/" + MarkerName, null, cancellationToken).ConfigureAwait(false) is not null)
            {
                found.Add(service);
            }
        }

        return found;
    }

    /// <summary>Fails with the services that do exist when this one has no root.</summary>
    public async Task EnsureExistsAsync(CancellationToken cancellationToken)
    {
        if (await Client.ExistsAsync(Root, null, cancellationToken).ConfigureAwait(false) is null)
        {
            var services = await ServicesAsync(_session, cancellationToken).ConfigureAwait(false);
            var known = services.Count == 0 ? $"no service stores grain state below {_session.BasePath}" : "services with grain state here: " + string.Join(", ", services);
            throw new ToolException($"Unknown service '{Service}': {Root} does not exist ({known}; --url or --config sets the base path).");
        }
    }

    /// <summary>The grain types with a node below the root (decoded), optionally only <paramref name="type"/>.</summary>
    public async Task<IReadOnlyList<string>> TypesAsync(string? type, CancellationToken cancellationToken)
    {
        await EnsureExistsAsync(cancellationToken).ConfigureAwait(false);
        var types = (await Client.GetChildrenAsync(Root, null, cancellationToken).ConfigureAwait(false))
            .Where(c => c != MarkerName)
            .Select(TryDecode)
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToList();
        if (type is null)
        {
            return types;
        }

        if (!types.Contains(type, StringComparer.Ordinal))
        {
            throw new ToolException($"Unknown grain type '{type}' in service '{Service}' (types with state: {(types.Count == 0 ? "none" : string.Join(", ", types))}).");
        }

        return [type];
    }

    /// <summary>
    /// Every state of the given types (keys starting with <paramref name="keyPrefix"/>), with data, in path order; the
    /// listing also counts nodes that are not states of this layout (version-1 key folders and others) and names the
    /// states this session may not read.
    /// </summary>
    public async Task<StateListing> ReadAllAsync(IReadOnlyList<string> types, string? keyPrefix, CancellationToken cancellationToken)
    {
        var names = new List<StateName>();
        var notStates = 0;
        foreach (var type in types)
        {
            var segment = ZooKeeperNodeNames.Encode(type);
            IReadOnlyList<string> children;
            try
            {
                children = await Client.GetChildrenAsync(Root + "/" + segment, null, cancellationToken).ConfigureAwait(false);
            }
            catch (NoNodeException)
            {
                continue; // a container node removed since the listing
            }

            foreach (var child in children)
            {
                if (!StateName.TryParse(segment, child, out var name))
                {
                    notStates++;
                }
                else if (keyPrefix is null || name.Key.StartsWith(keyPrefix, StringComparison.Ordinal))
                {
                    names.Add(name);
                }
            }
        }

        names.Sort((a, b) => string.CompareOrdinal(PathOf(a), PathOf(b)));
        var states = new List<StoredState>(names.Count);
        var unreadable = new List<string>();
        foreach (var batch in names.Chunk(ReadsInFlight))
        {
            var reads = await Task.WhenAll(batch.Select(async name =>
            {
                try
                {
                    return (Name: name, State: await ReadAsync(name, cancellationToken).ConfigureAwait(false), Denied: false);
                }
                catch (NoAuthException)
                {
                    return (Name: name, State: (StoredState?)null, Denied: true);
                }
            })).ConfigureAwait(false);
            foreach (var read in reads)
            {
                if (read.State is not null)
                {
                    states.Add(read.State);
                }
                else if (read.Denied)
                {
                    unreadable.Add(PathOf(read.Name));
                }
            }
        }

        return new StateListing(states, notStates, unreadable);
    }

    /// <summary>One state, or null when it is not stored.</summary>
    public async Task<StoredState?> ReadAsync(StateName name, CancellationToken cancellationToken)
    {
        try
        {
            var read = await Client.GetDataAsync(PathOf(name), null, cancellationToken).ConfigureAwait(false);
            return new StoredState(name.Type, name.Key, name.State, PathOf(name), read.Stat, read.Data);
        }
        catch (NoNodeException)
        {
            return null;
        }
    }

    /// <summary>One state, or a clear error naming what is stored of that grain type.</summary>
    public async Task<StoredState> ReadExistingAsync(StateName name, CancellationToken cancellationToken)
    {
        await TypesAsync(name.Type, cancellationToken).ConfigureAwait(false);
        if (await ReadAsync(name, cancellationToken).ConfigureAwait(false) is { } stored)
        {
            return stored;
        }

        var legacy = await Client.ExistsAsync(LegacyPathOf(name), null, cancellationToken).ConfigureAwait(false) is not null;
        throw new ToolException(legacy
            ? $"The state '{name.State}' of grain '{name.Type}/{name.Key}' in service '{Service}' is still in the version-1 layout ({LegacyPathOf(name)}); it moves to {PathOf(name)} at the grain's next write. The tool reads and writes only the current layout."
            : $"No state '{name.State}' of grain '{name.Type}/{name.Key}' in service '{Service}' ({PathOf(name)} does not exist; `orleans-zk states list --service {Service} --type {name.Type}` lists what is stored).");
    }

    /// <summary>
    /// Replaces the data of <paramref name="current"/> if it is the same incarnation at the same version: one
    /// transaction checking its guard and setting the data at its version, as grain storage writes. A missing guard is
    /// recreated only after checking the node still has the czxid that was read (as the provider repairs it).
    /// </summary>
    public async Task<Stat> ReplaceAsync(StoredState current, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            ZooKeeperException failure;
            try
            {
                var results = await Client.MultiAsync([Op.Check(GuardPath(current.Path, current.Stat.Czxid), -1), Op.SetData(current.Path, data, current.Stat.Version)], cancellationToken).ConfigureAwait(false);
                return ((SetDataOpResult)results[1]).Stat;
            }
            catch (ZooKeeperException ex) when (ex.Code is ZkError.BadVersion or ZkError.NoNode)
            {
                failure = ex;
            }

            // Only the guard missing on the incarnation that was read is repaired (once); anything else is a change.
            if (attempt > 0 || failure.FailedOperationIndex != 0 || failure.Code != ZkError.NoNode || !await RepairGuardAsync(current.Path, current.Stat.Czxid, cancellationToken).ConfigureAwait(false))
            {
                throw new StateConflictException($"Conflict: {current.Path} changed since it was read (ETag {current.ETag}); nothing was written. Read it again.", failure);
            }
        }
    }

    /// <summary>
    /// Creates the state: the service root with the layout marker when there is none, the grain type node (a
    /// container node, recreated if ZooKeeper reaps it meanwhile), the state node and its guard, with the root's ACL.
    /// Refused when the state exists in the version-1 layout (the provider would go on reading that one).
    /// </summary>
    public async Task<Stat> CreateAsync(StateName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (await Client.ExistsAsync(LegacyPathOf(name), null, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new StateConflictException($"Refusing to create {PathOf(name)}: the state is in the version-1 layout at {LegacyPathOf(name)}, which grain storage would go on reading; let the grain write it once (it moves), then write it here.");
        }

        var acl = await AclForNewNodesAsync(cancellationToken).ConfigureAwait(false);
        if (await Client.ExistsAsync(Root, null, cancellationToken).ConfigureAwait(false) is null)
        {
            await Client.EnsurePathAsync(Root, acl, cancellationToken).ConfigureAwait(false);
            try
            {
                // A root the tool creates is a version-2 root, as one grain storage creates (no version-1 reads).
                await Client.CreateAsync(Root + "/" + MarkerName, "2"u8.ToArray(), CreateMode.Persistent, acl, null, cancellationToken).ConfigureAwait(false);
            }
            catch (NodeExistsException)
            {
            }
        }

        for (var attempt = 0; ; attempt++)
        {
            Stat? created = null;
            try
            {
                created = (await Client.CreateAsync(PathOf(name), data, CreateMode.Persistent, acl, null, cancellationToken).ConfigureAwait(false)).Stat;
            }
            catch (NoNodeException) when (attempt < 5)
            {
                // The grain type node is missing (first state of the type, or ZooKeeper reaped the container node).
            }
            catch (NodeExistsException ex)
            {
                throw new StateConflictException($"Conflict: {PathOf(name)} was created by someone else meanwhile; nothing was written. Read it again.", ex);
            }

            if (created is { } stat)
            {
                await CreateGuardAsync(PathOf(name), stat.Czxid, cancellationToken).ConfigureAwait(false);
                return stat;
            }

            try
            {
                await Client.CreateAsync(Root + "/" + name.TypeSegment, default, CreateMode.Container, acl, null, cancellationToken).ConfigureAwait(false);
            }
            catch (NodeExistsException)
            {
            }
        }
    }

    /// <summary>Deletes <paramref name="current"/> with its guard (and any stale guard) in one transaction, if it is the same incarnation at the same version.</summary>
    public async Task DeleteAsync(StoredState current, CancellationToken cancellationToken)
    {
        var guard = GuardPath(current.Path, current.Stat.Czxid);
        for (var attempt = 0; ; attempt++)
        {
            // The guard of the incarnation that was read goes first: if the node was deleted and created again, that
            // guard is gone and the transaction fails before touching the new incarnation.
            var children = await Client.GetChildrenAsync(current.Path, null, cancellationToken).ConfigureAwait(false);
            var ops = new List<Op> { Op.Delete(guard) };
            ops.AddRange(children.Where(c => current.Path + "/" + c != guard).Select(c => Op.Delete(current.Path + "/" + c)));
            ops.Add(Op.Delete(current.Path, current.Stat.Version));
            ZooKeeperException failure;
            try
            {
                await Client.MultiAsync(ops, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ZooKeeperException ex) when (ex.Code is ZkError.BadVersion or ZkError.NoNode or ZkError.NotEmpty)
            {
                failure = ex;
            }

            if (attempt > 0 || failure.FailedOperationIndex != 0 || failure.Code != ZkError.NoNode || !await RepairGuardAsync(current.Path, current.Stat.Czxid, cancellationToken).ConfigureAwait(false))
            {
                throw new StateConflictException($"Conflict: {current.Path} changed since it was read (ETag {current.ETag}); nothing was deleted. Read it again.", failure);
            }
        }
    }

    /// <summary>The incarnation guard of the node created at <paramref name="czxid"/>.</summary>
    public static string GuardPath(string path, long czxid) => path + "/" + czxid.ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Creates the guard of the incarnation created at <paramref name="czxid"/> if the node still is that incarnation
    /// (true), so a guard is never put on a newer one; false when the node is gone or newer.
    /// </summary>
    public async Task<bool> RepairGuardAsync(string path, long czxid, CancellationToken cancellationToken)
    {
        if (await Client.ExistsAsync(path, null, cancellationToken).ConfigureAwait(false) is not { } stat || stat.Czxid != czxid)
        {
            return false;
        }

        await CreateGuardAsync(path, czxid, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task CreateGuardAsync(string path, long czxid, CancellationToken cancellationToken)
    {
        try
        {
            var acl = (await Client.GetAclAsync(path, cancellationToken).ConfigureAwait(false)).Acl;
            await Client.CreateAsync(GuardPath(path, czxid), default, CreateMode.Persistent, acl, null, cancellationToken).ConfigureAwait(false);
        }
        catch (NodeExistsException)
        {
        }
        catch (NoNodeException)
        {
            // The state was deleted meanwhile: nothing left to guard.
        }
    }

    private async Task<IReadOnlyList<Acl>> AclForNewNodesAsync(CancellationToken cancellationToken)
    {
        foreach (var path in new[] { Root, _session.BasePath })
        {
            try
            {
                return (await Client.GetAclAsync(path, cancellationToken).ConfigureAwait(false)).Acl;
            }
            catch (NoNodeException)
            {
            }
        }

        return Acls.OpenUnsafe;
    }
}
