using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper;

/// <summary>
/// An ephemeral-sequential node advertising this process under a container's path (see
/// <see cref="ZooKeeperContainer.AdvertiseAsync"/>). Kept alive across session expiry; removed on dispose.
/// </summary>
/// <remarks>
/// Exactly one node exists per advertisement and session: the node's name carries a random id after the prefix
/// (<c>{prefix}{id}-{sequence}</c>, Curator's "protected" mode), so when the reply to a create is lost with the
/// connection — the create may or may not have been applied — the advertisement looks for a child with its id owned
/// by its session and adopts it instead of creating a second one. Sorting by the 10-digit sequence suffix still works.
/// </remarks>
public sealed class ZooKeeperAdvertisement : IAsyncDisposable
{
    private readonly ZooKeeperContainer _container;
    private readonly IReadOnlyList<Acl> _acl;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ReadOnlyMemory<byte> _data;
    private string? _path;
    private bool _disposed;
    private bool _createInDoubt;

    internal ZooKeeperAdvertisement(ZooKeeperContainer container, string prefix, IReadOnlyList<Acl> acl)
    {
        _container = container;
        Prefix = prefix;
        _acl = acl;
        ProtectedId = Guid.NewGuid().ToString("N");
    }

    /// <summary>The sequential prefix (absolute), as given.</summary>
    public string Prefix { get; }

    /// <summary>The random id in this advertisement's node name (after <see cref="Prefix"/>).</summary>
    public string ProtectedId { get; }

    /// <summary>The node currently advertising (absolute, with sequence number); null before the first create.</summary>
    public string? CurrentPath => Volatile.Read(ref _path);

    /// <summary>The advertised data.</summary>
    public ReadOnlyMemory<byte> Data => _data;

    /// <summary>Changes the advertised data (creates the node when it does not exist in the current session).</summary>
    public async Task UpdateAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _data = data.ToArray();
            if (_path is not null)
            {
                try
                {
                    var stat = await _container.Client.ExistsAsync(_path, null, cancellationToken).ConfigureAwait(false);
                    if (stat is { } s && s.EphemeralOwner == _container.Client.SessionId)
                    {
                        await _container.Client.SetDataAsync(_path, _data, -1, cancellationToken).ConfigureAwait(false);
                        return;
                    }
                }
                catch (NoNodeException)
                {
                }
            }

            await CreateAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Re-creates the node if the session that owned it is gone.</summary>
    internal async Task EnsureAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            if (_path is not null)
            {
                var stat = await _container.Client.ExistsAsync(_path, null, cancellationToken).ConfigureAwait(false);
                if (stat is { } s && s.EphemeralOwner == _container.Client.SessionId)
                {
                    return;
                }
            }

            await CreateAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Creates the node, unless one created earlier in this session is found: after a create whose reply was lost
    /// (it may or may not have been applied) the next attempt — in this call or, when the connection keeps failing, in
    /// a later one — first looks for the child with this advertisement's id owned by the session.
    /// </summary>
    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        var client = _container.Client;
        var createPrefix = Prefix + ProtectedId + "-";
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (_createInDoubt)
                {
                    await client.WaitUntilConnectedAsync(client.Options.SessionTimeout, cancellationToken).ConfigureAwait(false);
                    if (await FindOwnAsync(createPrefix, cancellationToken).ConfigureAwait(false) is { } found)
                    {
                        Volatile.Write(ref _path, found);
                        _createInDoubt = false;
                        return;
                    }

                    _createInDoubt = false;
                }

                _createInDoubt = true; // until the reply says otherwise
                var created = await client.CreateWithParentsAsync(createPrefix, _data, CreateMode.EphemeralSequential, _acl, null, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _path, created.Path);
                _createInDoubt = false;
                return;
            }
            catch (ConnectionLossException) when (attempt < 10)
            {
                // The reply (of the create, or of the search) was lost: search again before creating.
            }
            catch (ZooKeeperException ex) when (ex is not ConnectionLossException)
            {
                // The server answered the create with an error: nothing was created.
                _createInDoubt = false;
                throw;
            }
        }
    }

    /// <summary>The child named with this advertisement's id and owned by the current session, or null.</summary>
    private async Task<string?> FindOwnAsync(string createPrefix, CancellationToken cancellationToken)
    {
        var client = _container.Client;
        var slash = createPrefix.LastIndexOf('/');
        var parent = slash <= 0 ? "/" : createPrefix[..slash];
        var namePrefix = createPrefix[(slash + 1)..];
        IReadOnlyList<string> children;
        try
        {
            children = await client.GetChildrenAsync(parent, null, cancellationToken).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            return null;
        }

        foreach (var child in children)
        {
            if (child.StartsWith(namePrefix, StringComparison.Ordinal))
            {
                var path = ZooKeeperPath.Combine(parent, child);
                if (await client.ExistsAsync(path, null, cancellationToken).ConfigureAwait(false) is { } stat && stat.EphemeralOwner == client.SessionId)
                {
                    return path;
                }
            }
        }

        return null;
    }

    /// <summary>Removes the advertisement.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _container.Forget(this);
            if (_path is not null && _container.Client.State == ConnectionState.Connected)
            {
                try
                {
                    await _container.Client.DeleteAsync(_path).ConfigureAwait(false);
                }
                catch (ZooKeeperException)
                {
                    // Gone already, or the session is going: the node is ephemeral either way.
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
