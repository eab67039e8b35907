using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Benchmarks.Storage;

/// <summary>Counts how often the provider's and the raw client's ZooKeeper sessions leave CONNECTED.</summary>
internal sealed class ConnectionWatch : IDisposable
{
    private readonly ZooKeeperClient _provider;
    private readonly ZooKeeperClient _raw;
    private int _providerDrops;
    private int _rawDrops;

    public ConnectionWatch(ZooKeeperClient provider, ZooKeeperClient raw)
    {
        _provider = provider;
        _raw = raw;
        _provider.StateChanged += OnProvider;
        _raw.StateChanged += OnRaw;
    }

    /// <summary>Counts so far.</summary>
    public Disconnects Snapshot() => new(Volatile.Read(ref _providerDrops), Volatile.Read(ref _rawDrops));

    public void Dispose()
    {
        _provider.StateChanged -= OnProvider;
        _raw.StateChanged -= OnRaw;
    }

    private void OnProvider(object? sender, ConnectionStateChange e)
    {
        if (e.PreviousState == ConnectionState.Connected && e.State != ConnectionState.Connected)
        {
            Interlocked.Increment(ref _providerDrops);
        }
    }

    private void OnRaw(object? sender, ConnectionStateChange e)
    {
        if (e.PreviousState == ConnectionState.Connected && e.State != ConnectionState.Connected)
        {
            Interlocked.Increment(ref _rawDrops);
        }
    }
}

/// <summary>Times a session left CONNECTED.</summary>
internal readonly record struct Disconnects(int Provider, int Raw)
{
    public int Total => Provider + Raw;

    public static Disconnects operator -(Disconnects a, Disconnects b) => new(a.Provider - b.Provider, a.Raw - b.Raw);
}
