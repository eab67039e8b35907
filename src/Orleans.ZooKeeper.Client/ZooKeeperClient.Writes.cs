using Orleans.ZooKeeper.Client.Proto;

namespace Orleans.ZooKeeper.Client;

/// <summary>Creating, changing and deleting nodes; transactions.</summary>
public sealed partial class ZooKeeperClient
{
    /// <summary>Creates a node and returns its path (with sequence suffix) and metadata.</summary>
    /// <param name="path">The path; for sequential modes the suffix is appended to it (so <c>/q/</c> creates <c>/q/0000000001</c>).</param>
    /// <param name="data">The data.</param>
    /// <param name="mode">Persistent, ephemeral, sequential, container or TTL.</param>
    /// <param name="acl">The ACL; default <see cref="Acls.OpenUnsafe"/>.</param>
    /// <param name="ttl">The TTL, required for TTL modes (1 ms .. 2^40-1 ms).</param>
    /// <param name="cancellationToken">Cancels waiting (a request not yet sent is then never sent; one already sent may still be applied).</param>
    public ValueTask<CreateResult> CreateAsync(string path, ReadOnlyMemory<byte> data = default, CreateMode mode = CreateMode.Persistent, IReadOnlyList<Acl>? acl = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path, mode.IsSequential());
        acl ??= Acls.OpenUnsafe;
        RequestValidation.ValidateCreate(acl, mode, ttl);
        return Send<CreateRequest, CreateResult, CreateReply>(new CreateRequest(path, data, acl, mode, OpWire.TtlMilliseconds(mode, ttl)), path, cancellationToken);
    }

    /// <summary>
    /// Creates a node, first creating its missing ancestors (persistent, empty, with the same ACL). Ancestors that
    /// exist are left alone (no create is sent for them, so none needs CREATE permission on its parent). For a
    /// sequential path ending in <c>/</c> the parent is the path without that slash.
    /// </summary>
    public async ValueTask<CreateResult> CreateWithParentsAsync(string path, ReadOnlyMemory<byte> data = default, CreateMode mode = CreateMode.Persistent, IReadOnlyList<Acl>? acl = null, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path, mode.IsSequential());
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await CreateAsync(path, data, mode, acl, ttl, cancellationToken).ConfigureAwait(false);
            }
            catch (NoNodeException) when (attempt < 5)
            {
                // The new node's parent is everything before the last '/': "/a/b" -> "/a", sequential "/a/b/" -> "/a/b".
                var slash = path.LastIndexOf('/');
                var parent = slash <= 0 ? "/" : path[..slash];
                if (parent == "/")
                {
                    throw;
                }

                await EnsurePathAsync(parent, acl, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Creates every missing node along <paramref name="path"/> (persistent, empty). It looks upwards with
    /// <c>exists</c> (which needs no permission) to the deepest node that exists and creates only what is missing
    /// below it, as kazoo's <c>ensure_path</c> does.
    /// </summary>
    public async ValueTask EnsurePathAsync(string path, IReadOnlyList<Acl>? acl = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        for (var attempt = 0; ; attempt++)
        {
            var missing = new Stack<string>();
            for (var p = path; p != "/" && await ExistsAsync(p, cancellationToken: cancellationToken).ConfigureAwait(false) is null; p = ZooKeeperPath.GetParent(p)!)
            {
                missing.Push(p);
            }

            try
            {
                while (missing.TryPop(out var node))
                {
                    try
                    {
                        await CreateAsync(node, default, CreateMode.Persistent, acl, null, cancellationToken).ConfigureAwait(false);
                    }
                    catch (NodeExistsException)
                    {
                        // Created meanwhile by someone else: fine.
                    }
                }

                return;
            }
            catch (NoNodeException) when (attempt < 5)
            {
                // An ancestor was deleted meanwhile: look again.
            }
        }
    }

    /// <summary>Deletes a node if its version matches (-1: any).</summary>
    public ValueTask DeleteAsync(string path, int version = -1, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return Void(Send<PathIntRequest, bool, NoReply>(new PathIntRequest(OpCode.Delete, path, version), path, cancellationToken));
    }

    /// <summary>Deletes a node and everything below it. Nodes that vanish meanwhile are fine; returns false if the node did not exist.</summary>
    public async ValueTask<bool> DeleteRecursiveAsync(string path, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        if (path == "/")
        {
            throw new ArgumentException("Refusing to delete '/' recursively.", nameof(path));
        }

        for (var attempt = 0; ; attempt++)
        {
            IReadOnlyList<string> children;
            try
            {
                children = await GetChildrenAsync(path, null, cancellationToken).ConfigureAwait(false);
            }
            catch (NoNodeException)
            {
                return false;
            }

            foreach (var child in children)
            {
                await DeleteRecursiveAsync(ZooKeeperPath.Combine(path, child), cancellationToken).ConfigureAwait(false);
            }

            try
            {
                await DeleteAsync(path, -1, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (NoNodeException)
            {
                return false;
            }
            catch (NotEmptyException) when (attempt < 10)
            {
                // A child appeared meanwhile: go again.
            }
        }
    }

    /// <summary>Sets the node's data if its version matches (-1: any) and returns the new metadata.</summary>
    public ValueTask<Stat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int version = -1, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        return Send<SetDataRequest, Stat, StatReply>(new SetDataRequest(path, data, version), path, cancellationToken);
    }

    /// <summary>Sets the node's ACL if its ACL version matches (-1: any).</summary>
    public ValueTask<Stat> SetAclAsync(string path, IReadOnlyList<Acl> acl, int aclVersion = -1, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path);
        RequestValidation.ValidateAcl(acl);
        return Send<SetAclRequest, Stat, StatReply>(new SetAclRequest(path, acl, aclVersion), path, cancellationToken);
    }

    /// <summary>
    /// Runs operations as one transaction: all apply or none. Creates report the new node's path and metadata.
    /// On failure throws the typed exception of the failing operation with <see cref="ZooKeeperException.Results"/>
    /// (every operation's result) and <see cref="ZooKeeperException.FailedOperationIndex"/>.
    /// </summary>
    public ValueTask<IReadOnlyList<OpResult>> MultiAsync(IEnumerable<Op> operations, CancellationToken cancellationToken = default)
    {
        var ops = RequestValidation.ValidateOps(operations, reads: false);
        return Send<MultiRequest, IReadOnlyList<OpResult>, MultiReply>(new MultiRequest(OpCode.Multi, ops), null, cancellationToken, state: ops);
    }
}
