using Orleans.Persistence.ZooKeeper;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Tool.Cli;
using Orleans.ZooKeeper.Tool.Connecting;
using ZkError = Orleans.ZooKeeper.Client.ErrorCode;

namespace Orleans.ZooKeeper.Tool.States;

/// <summary>One stored state: where it is, its ETag and stat, and its bytes.</summary>
internal sealed record StoredState(string Type, string Key, string State, string Path, Stat Stat, byte[] Data)
{
    /// <summary>The ETag grain storage gives the state (<c>{czxid:x}-{version}</c>).</summary>
    public string ETag => StateETag.Format(Stat);

    public DateTimeOffset Modified => DateTimeOffset.FromUnixTimeMilliseconds(Stat.Mtime);
}

/// <summary>Where a state lives: the grain type node and the state node's name below the service root.</summary>
internal readonly record struct StateName(string Type, string Key, string State)
{
    public string TypeSegment => ZooKeeperNodeNames.Encode(Type);

    public string NodeName => ZooKeeperNodeNames.Encode(Key) + "." + ZooKeeperNodeNames.Encode(State);

    /// <summary>The state a node name below a type node stands for; false for names grain storage does not write.</summary>
    public static bool TryParse(string typeSegment, string nodeName, out StateName name)
    {
        name = default;
        var dot = nodeName.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == nodeName.Length - 1 || nodeName.IndexOf('.', dot + 1) >= 0
            || !ZooKeeperNodeNames.IsEncoded(typeSegment) || !ZooKeeperNodeNames.IsEncoded(nodeName[..dot]) || !ZooKeeperNodeNames.IsEncoded(nodeName[(dot + 1)..]))
        {
            return false;
        }

        try
        {
            name = new StateName(ZooKeeperNodeNames.Decode(typeSegment), ZooKeeperNodeNames.Decode(nodeName[..dot]), ZooKeeperNodeNames.Decode(nodeName[(dot + 1)..]));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>
/// Grain storage's layout for one service, <c>{base path}/{ServiceId}/{grain type}/{grain key}.{state name}</c> with
/// the incarnation guard <c>{state node}/{czxid:x}</c> (see the storage provider's <c>StateLayout</c>), read and
/// written the way the provider does.
/// </summary>
internal sealed class StateStore
{
    private const int ReadBatch = 200;

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

    /// <summary>The services with grain state below the base path (children holding the layout marker or type nodes).</summary>
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
            if (ZooKeeperNodeNames.IsEncoded(child) && await session.Client.ExistsAsync(session.PathOf(child) + "/layout.v2", null, cancellationToken).ConfigureAwait(false) is not null)
            {
                found.Add(ZooKeeperNodeNames.Decode(child));
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
            .Where(c => c != "layout.v2" && ZooKeeperNodeNames.IsEncoded(c))
            .Select(ZooKeeperNodeNames.Decode)
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
    /// Every state of the given types (keys starting with <paramref name="keyPrefix"/>), with data, in path order;
    /// Skipped counts nodes that are not states of this layout (version-1 key folders and others).
    /// </summary>
    public async Task<(List<StoredState> States, int Skipped)> ReadAllAsync(IReadOnlyList<string> types, string? keyPrefix, CancellationToken cancellationToken)
    {
        var names = new List<StateName>();
        var skipped = 0;
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
                    skipped++;
                }
                else if (keyPrefix is null || name.Key.StartsWith(keyPrefix, StringComparison.Ordinal))
                {
                    names.Add(name);
                }
            }
        }

        names.Sort((a, b) => string.CompareOrdinal(PathOf(a), PathOf(b)));
        var states = new List<StoredState>(names.Count);
        foreach (var batch in names.Chunk(ReadBatch))
        {
            var results = await Client.MultiReadAsync(batch.Select(n => Op.GetData(PathOf(n))), cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < batch.Length; i++)
            {
                if (results[i] is GetDataOpResult found)
                {
                    states.Add(new StoredState(batch[i].Type, batch[i].Key, batch[i].State, PathOf(batch[i]), found.Stat, found.Data));
                }
            }
        }

        return (states, skipped);
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
        return await ReadAsync(name, cancellationToken).ConfigureAwait(false)
            ?? throw new ToolException($"No state '{name.State}' of grain '{name.Type}/{name.Key}' in service '{Service}' ({PathOf(name)} does not exist; `orleans-zk states list --service {Service} --type {name.Type}` lists what is stored).");
    }

    /// <summary>
    /// Replaces the data of <paramref name="current"/> if it is unchanged (its guard and version, in one transaction,
    /// as grain storage writes); a missing guard is recreated first (as the provider repairs it).
    /// </summary>
    public async Task<Stat> ReplaceAsync(StoredState current, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await EnsureGuardAsync(current.Path, current.Stat.Czxid, cancellationToken).ConfigureAwait(false);
        try
        {
            var results = await Client.MultiAsync([Op.Check(GuardPath(current.Path, current.Stat.Czxid), -1), Op.SetData(current.Path, data, current.Stat.Version)], cancellationToken).ConfigureAwait(false);
            return ((SetDataOpResult)results[1]).Stat;
        }
        catch (ZooKeeperException ex) when (ex.Code is ZkError.BadVersion or ZkError.NoNode)
        {
            throw new ToolException($"Conflict: {current.Path} changed since it was read (ETag {current.ETag}); nothing was written. Read it again.", ExitCodes.Failed, ex);
        }
    }

    /// <summary>Creates the state (type node as a container node, then the state node and its guard), with the root's ACL.</summary>
    public async Task<Stat> CreateAsync(StateName name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var acl = await AclForNewNodesAsync(cancellationToken).ConfigureAwait(false);
        await Client.EnsurePathAsync(Root, acl, cancellationToken).ConfigureAwait(false);
        try
        {
            await Client.CreateAsync(Root + "/" + name.TypeSegment, default, CreateMode.Container, acl, null, cancellationToken).ConfigureAwait(false);
        }
        catch (NodeExistsException)
        {
        }

        Stat created;
        try
        {
            created = (await Client.CreateAsync(PathOf(name), data, CreateMode.Persistent, acl, null, cancellationToken).ConfigureAwait(false)).Stat;
        }
        catch (NodeExistsException ex)
        {
            throw new ToolException($"Conflict: {PathOf(name)} was created by someone else meanwhile; nothing was written. Read it again.", ExitCodes.Failed, ex);
        }

        await EnsureGuardAsync(PathOf(name), created.Czxid, cancellationToken).ConfigureAwait(false);
        return created;
    }

    /// <summary>Deletes <paramref name="current"/> with its guard (and any stale guard), if it is unchanged.</summary>
    public async Task DeleteAsync(StoredState current, CancellationToken cancellationToken)
    {
        var children = await Client.GetChildrenAsync(current.Path, null, cancellationToken).ConfigureAwait(false);
        var ops = children.Select(c => Op.Delete(current.Path + "/" + c)).Append(Op.Delete(current.Path, current.Stat.Version)).ToList();
        try
        {
            await Client.MultiAsync(ops, cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code is ZkError.BadVersion or ZkError.NoNode or ZkError.NotEmpty)
        {
            throw new ToolException($"Conflict: {current.Path} changed since it was read (ETag {current.ETag}); nothing was deleted. Read it again.", ExitCodes.Failed, ex);
        }
    }

    /// <summary>The incarnation guard of the node created at <paramref name="czxid"/>.</summary>
    public static string GuardPath(string path, long czxid) => path + "/" + czxid.ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    public async Task EnsureGuardAsync(string path, long czxid, CancellationToken cancellationToken)
    {
        try
        {
            var acl = (await Client.GetAclAsync(path, cancellationToken).ConfigureAwait(false)).Acl;
            await Client.CreateAsync(GuardPath(path, czxid), default, CreateMode.Persistent, acl, null, cancellationToken).ConfigureAwait(false);
        }
        catch (NodeExistsException)
        {
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
