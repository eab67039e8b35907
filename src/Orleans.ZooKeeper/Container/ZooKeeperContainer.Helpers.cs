using System.Text.Json;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper;

// The helpers relative to BasePath: path resolution, data and JSON, children, advertisements. (The type is
// documented in ZooKeeperContainer.cs.)
public sealed partial class ZooKeeperContainer
{
    /// <summary>The absolute path of <paramref name="relativePath"/> under <see cref="BasePath"/> ("" is the base path itself).</summary>
    public string ResolvePath(string relativePath, bool isSequential = false)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        if (relativePath.StartsWith('/'))
        {
            throw new ArgumentException($"'{relativePath}' is absolute; container helpers take paths relative to the container path {BasePath} (use Client for absolute paths).", nameof(relativePath));
        }

        var rel = relativePath.StartsWith("./", StringComparison.Ordinal) ? relativePath[2..] : relativePath == "." ? string.Empty : relativePath;
        var full = rel.Length == 0 ? BasePath : (BasePath == "/" ? "/" + rel : BasePath + "/" + rel);
        var error = ZooKeeperPath.GetError(full, isSequential);
        if (error is not null)
        {
            throw new ArgumentException($"'{relativePath}' under container path {BasePath} gives an invalid ZooKeeper path '{full}': {error}.", nameof(relativePath));
        }

        return full;
    }

    /// <summary>The data of a node under the base path, or null when it does not exist.</summary>
    public async Task<byte[]?> GetDataAsync(string relativePath, CancellationToken cancellationToken = default)
    {
        try
        {
            return (await Client.GetDataAsync(ResolvePath(relativePath), null, cancellationToken).ConfigureAwait(false)).Data;
        }
        catch (NoNodeException)
        {
            return null;
        }
    }

    /// <summary>A node's data parsed as JSON, or default when it does not exist.</summary>
    public async Task<T?> GetJsonAsync<T>(string relativePath, JsonSerializerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var path = ResolvePath(relativePath);
        var data = await GetDataAsync(relativePath, cancellationToken).ConfigureAwait(false);
        if (data is null)
        {
            return default;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(data, options);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"The data of ZooKeeper node {path} is not valid JSON for {typeof(T).Name}: {ex.Message}", ex);
        }
    }

    /// <summary>The children of a node under the base path, or null when it does not exist.</summary>
    public async Task<IReadOnlyList<string>?> GetChildrenAsync(string relativePath = "", CancellationToken cancellationToken = default)
    {
        try
        {
            return await Client.GetChildrenAsync(ResolvePath(relativePath), null, cancellationToken).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            return null;
        }
    }

    /// <summary>Sets a node's data, creating it (and its parents) when missing.</summary>
    public async Task<Stat> SetDataAsync(string relativePath, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var path = ResolvePath(relativePath);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await Client.SetDataAsync(path, data, -1, cancellationToken).ConfigureAwait(false);
            }
            catch (NoNodeException) when (attempt < 3)
            {
                try
                {
                    return (await Client.CreateWithParentsAsync(path, data, CreateMode.Persistent, NodeAcl, null, cancellationToken).ConfigureAwait(false)).Stat;
                }
                catch (NodeExistsException)
                {
                    // Created meanwhile: set it.
                }
            }
        }
    }

    /// <summary>Serializes <paramref name="value"/> as JSON into a node (created when missing).</summary>
    public Task<Stat> SetJsonAsync<T>(string relativePath, T value, JsonSerializerOptions? options = null, CancellationToken cancellationToken = default)
        => SetDataAsync(relativePath, JsonSerializer.SerializeToUtf8Bytes(value, options), cancellationToken);

    /// <summary>
    /// Advertises this process: an ephemeral-sequential node <c>{BasePath}/{relativePath}NNNNNNNNNN</c> holding
    /// <paramref name="data"/>. Advertising again on the same path updates the data; the node is re-created when a
    /// new session replaces an expired one, and vanishes when the container stops or the advertisement is disposed.
    /// </summary>
    public async Task<ZooKeeperAdvertisement> AdvertiseAsync(ReadOnlyMemory<byte> data, string relativePath = "advertised/", CancellationToken cancellationToken = default)
    {
        var prefix = ResolvePath(relativePath, isSequential: true);
        ZooKeeperAdvertisement? advertisement;
        bool created;
        lock (_lock)
        {
            created = !_advertisements.TryGetValue(prefix, out advertisement);
            if (created)
            {
                advertisement = new ZooKeeperAdvertisement(this, prefix, NodeAcl);
                _advertisements[prefix] = advertisement;
            }
        }

        await advertisement!.UpdateAsync(data, cancellationToken).ConfigureAwait(false);
        return advertisement;
    }

    internal void Forget(ZooKeeperAdvertisement advertisement)
    {
        lock (_lock)
        {
            _advertisements.Remove(advertisement.Prefix);
        }
    }
}
