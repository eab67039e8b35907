using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Contention;

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
    private readonly CancellationTokenSource _disposing = new();
    private ReadOnlyMemory<byte> _data;
    private string? _path;
    private long _pathSession;
    private bool _createInDoubt;
    private bool _disposed;

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
    /// <exception cref="ObjectDisposedException">The advertisement was (or is being) disposed.</exception>
    public async Task UpdateAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        try
        {
            await UpdateCoreAsync(data, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ObjectDisposedException(nameof(ZooKeeperAdvertisement), "The advertisement was disposed while it was being updated.");
        }
    }

    private async Task UpdateCoreAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
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

    /// <summary>Re-creates the node if the session that owned it is gone; nothing once disposal began (it cancels a run under way).</summary>
    internal async Task EnsureAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        try
        {
            await EnsureCoreAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Disposed meanwhile: the node goes with the disposal.
        }
    }

    private async Task EnsureCoreAsync(CancellationToken cancellationToken)
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
    /// Creates the node, or adopts the one a create whose reply was lost made (protected node, this session's) — also
    /// when that create failed in an earlier call, so an advertisement never leaves a second node of its session.
    /// </summary>
    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        var prefix = Prefix + ProtectedId + "-";
        var client = _container.Client;
        if (_createInDoubt && await ProtectedNodes.FindOwnAsync(client, prefix, cancellationToken).ConfigureAwait(false) is { } found)
        {
            await client.SetDataAsync(found.Path, _data, -1, cancellationToken).ConfigureAwait(false);
            Remember(found);
            return;
        }

        _createInDoubt = true;
        Remember(await ProtectedNodes.CreateOrAdoptAsync(client, prefix, _data, _acl, ZooKeeperRetryPolicy.Default, cancellationToken).ConfigureAwait(false));
    }

    private void Remember(CreateResult node)
    {
        _createInDoubt = false;
        _pathSession = node.Stat.EphemeralOwner;
        Volatile.Write(ref _path, node.Path);
    }

    /// <summary>Removes the advertisement.</summary>
    /// <remarks>
    /// An update or re-check under way is cancelled first (while the connection is down it would wait for it), so
    /// disposing never waits for the connection.
    /// </remarks>
    public async ValueTask DisposeAsync()
    {
        await _disposing.CancelAsync().ConfigureAwait(false);
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _container.Forget(this);

            // Now when connected; else when the same session reconnects (the node would otherwise advertise a
            // disposed advertisement for as long as the session lives). Waited for only while connected.
            var client = _container.Client;
            var deleting = _path is { } path ? NodeJanitor.DeleteAsync(client, path, _pathSession, ZooKeeperRetryPolicy.Default.MaxDelay, CancellationToken.None) : Task.CompletedTask;
            if (_createInDoubt)
            {
                deleting = Task.WhenAll(deleting, ProtectedNodes.RemoveOwnAsync(client, Prefix + ProtectedId + "-", ZooKeeperRetryPolicy.Default));
            }

            if (client.State == ConnectionState.Connected)
            {
                await deleting.ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
