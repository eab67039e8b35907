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
    private ReadOnlyMemory<byte> _data;
    private string? _path;
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

    /// <summary>Creates the node, or adopts the one a create whose reply was lost made (protected node, this session's).</summary>
    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        var created = await ProtectedNodes.CreateOrAdoptAsync(_container.Client, Prefix + ProtectedId + "-", _data, _acl, ZooKeeperRetryPolicy.Default, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _path, created.Path);
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
