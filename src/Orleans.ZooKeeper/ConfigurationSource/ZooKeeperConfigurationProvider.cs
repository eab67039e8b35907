using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.ZooKeeper.Client;
using Orleans.ZooKeeper.Contention;

namespace Orleans.ZooKeeper;

/// <summary>The provider behind <see cref="ZooKeeperConfigurationSource"/>: a session, a tree cache of the root, and the key mapping.</summary>
public sealed class ZooKeeperConfigurationProvider : ConfigurationProvider, IDisposable
{
    private readonly ZooKeeperConfigurationSource _source;
    private readonly ILogger _logger;
    private readonly WakeSignal _changed = new();
    private readonly CancellationTokenSource _stopping = new();
    private ZooKeeperClient? _client;
    private ZooKeeperTreeCache? _cache;
    private Task? _reloads;
    private int _disposed;

    internal ZooKeeperConfigurationProvider(ZooKeeperConfigurationSource source, ZooKeeperTarget target)
    {
        _source = source;
        Target = target;
        _logger = (source.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ZooKeeperConfigurationProvider>();
    }

    /// <summary>Where the configuration comes from (servers, root path, and where each came from).</summary>
    public ZooKeeperTarget Target { get; }

    /// <summary>The error of the latest reload that failed, or null after a good one.</summary>
    public Exception? LastReloadError { get; private set; }

    /// <inheritdoc/>
    public override void Load()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_cache is null)
        {
            FirstLoad();
        }
        else if (_cache.IsInitialized)
        {
            Data = Map(); // ConfigurationRoot.Reload(): read the cache again
        }
    }

    /// <summary>Closes the session.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        _changed.Set();
        _reloads?.Wait(TimeSpan.FromSeconds(5));
        _cache?.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
        _client?.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
    }

    private void FirstLoad()
    {
        var options = Target.ToClientOptions();
        _source.ConfigureClient?.Invoke(options);
        _client = new ZooKeeperClient(options, _source.LoggerFactory?.CreateLogger<ZooKeeperClient>());
        _cache = new ZooKeeperTreeCache(_client, Target.Path, _source.LoggerFactory?.CreateLogger<ZooKeeperTreeCache>());
        try
        {
            // Configuration loads synchronously; nothing here needs the caller's thread (ConfigureAwait(false) throughout).
            _cache.StartAsync(_stopping.Token).WaitAsync(_source.StartupTimeout).GetAwaiter().GetResult();
        }
        catch (TimeoutException) when (_source.Optional)
        {
            // Optional: start empty, fill in once the ensemble answers.
            Data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            ConfigurationLog.StartedEmpty(_logger, Target.Path, Target.ConnectString);
            StartReloads();
            return;
        }
        catch (TimeoutException ex)
        {
            var last = _client.LastConnectError is { } error ? $" Last connection attempt: {error.Message}" : string.Empty;
            Dispose();
            throw new ZooKeeperConfigurationException(
                $"Configuration from ZooKeeper: could not read {Target.Path} from {Target.ConnectString} within {_source.StartupTimeout.TotalSeconds:0.#} s (StartupTimeout; servers from {Target.ServersSource}). Mark the source optional to start without it.{last}",
                Target.ServersSource,
                Target.ConnectString,
                ex);
        }

        try
        {
            if (_cache.Get(Target.Path) is null && !_source.Optional)
            {
                throw new ZooKeeperConfigurationException(
                    $"Configuration from ZooKeeper: the root node {Target.Path} does not exist on {Target.ConnectString} (path from {Target.PathSource}). Create it, or mark the source optional.",
                    Target.PathSource,
                    Target.Path);
            }

            Data = Map();
        }
        catch
        {
            Dispose();
            throw;
        }

        StartReloads();
    }

    private Dictionary<string, string?> Map() => ZooKeeperConfigurationMapper.Map(Target.Path, _cache!.Snapshot(), _source.ValueFormat);

    private void StartReloads()
    {
        if (!_source.ReloadOnChange && !_source.Optional)
        {
            return;
        }

        _cache!.Changed += (_, change) =>
        {
            if (change.Type != ZooKeeperCacheEventType.Added || change.Source != ZooKeeperCacheEventSource.Initial)
            {
                _changed.Set();
            }
        };
        _reloads = Task.Run(ReloadLoopAsync, CancellationToken.None);
    }

    /// <summary>Rebuilds the keys whenever the cache changed; a failed rebuild keeps the last good configuration.</summary>
    private async Task ReloadLoopAsync()
    {
        var stopping = _stopping.Token;
        var pendingStart = !_cache!.IsInitialized;
        while (!stopping.IsCancellationRequested)
        {
            var woken = _changed.Arm();
            if (_cache.IsInitialized && (_source.ReloadOnChange || pendingStart))
            {
                pendingStart = false;
                Reload();
            }

            try
            {
                await woken.WaitAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Reload()
    {
        try
        {
            if (_cache!.Get(Target.Path) is null && !_source.Optional)
            {
                throw new ZooKeeperConfigurationException($"Configuration from ZooKeeper: the root node {Target.Path} was deleted; the last configuration read stays in effect.", Target.PathSource, Target.Path);
            }

            var data = Map();
            LastReloadError = null;
            if (!SameAs(data))
            {
                Data = data;
                OnReload();
                ConfigurationLog.Reloaded(_logger, Target.Path, data.Count);
            }
        }
        catch (ZooKeeperConfigurationException ex)
        {
            LastReloadError = ex;
            ConfigurationLog.ReloadFailed(_logger, ex, Target.Path);
            _source.OnReloadError?.Invoke(ex);
        }
    }

    private bool SameAs(Dictionary<string, string?> data)
        => data.Count == Data.Count && data.All(p => Data.TryGetValue(p.Key, out var v) && string.Equals(v, p.Value, StringComparison.Ordinal));
}

internal static partial class ConfigurationLog
{
    [LoggerMessage(500, LogLevel.Information, "Configuration from ZooKeeper {Path} reloaded: {Count} keys")]
    public static partial void Reloaded(ILogger logger, string path, int count);

    [LoggerMessage(501, LogLevel.Error, "Configuration from ZooKeeper {Path} could not be reloaded; the last good configuration stays")]
    public static partial void ReloadFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(502, LogLevel.Warning, "Configuration from ZooKeeper {Path} ({Servers}) is optional and not reachable yet: starting empty")]
    public static partial void StartedEmpty(ILogger logger, string path, string servers);
}
