using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper;

/// <summary>Settings of one <see cref="ZooKeeperContainer"/>.</summary>
public sealed class ZooKeeperContainerOptions
{
    /// <summary>
    /// Where the container points: <c>zookeeper://h1:2181,h2:2181/path</c>, <c>zookeeper:///abs/path</c> or
    /// <c>zookeeper:./rel/path</c>. Null: everything from the configuration section and the environment.
    /// </summary>
    public string? Url { get; set; }

    /// <summary>
    /// The configuration section with <c>servers</c>, <c>path</c>, <c>session_timeout</c>, <c>connect_timeout</c>,
    /// <c>username</c>, <c>password</c> and the TLS keys (see <see cref="ZooKeeperTargetResolver"/>).
    /// </summary>
    public string ConfigurationSection { get; set; } = ZooKeeperTargetResolver.DefaultSectionName;

    /// <summary>
    /// The Orleans stream provider the container publishes its states on (namespace
    /// <see cref="ZooKeeperContainerStates.StreamNamespace"/>, key = container name). Null: in-process events only.
    /// </summary>
    public string? StreamProviderName { get; set; }

    /// <summary>Wait for the first connection during startup (and fail startup after <see cref="StartupTimeout"/>).</summary>
    public bool WaitForConnectionOnStartup { get; set; } = true;

    /// <summary>How long startup waits for the first connection.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often advertisements (<see cref="ZooKeeperContainer.AdvertiseAsync"/>) are checked and re-created if their
    /// node is gone — e.g. deleted by an outside client — as asab re-publishes its advertisements. They are also
    /// checked whenever the container becomes CONNECTED. Default 5 minutes; <see cref="Timeout.InfiniteTimeSpan"/> or
    /// zero turns the periodic check off.
    /// </summary>
    public TimeSpan AdvertisementCheckInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Adjusts the client options after they were built from the resolved target. A container's client runs
    /// continuations asynchronously (<see cref="ZooKeeperClientOptions.RunContinuationsAsynchronously"/> is true):
    /// silo code after an <c>await</c> — membership, storage, recipes, your own — runs on the thread pool, never on
    /// the client's reader thread, so slow code there cannot delay other replies. The container sets it after this
    /// callback, so it holds for every container (a client of your own, built from <c>ZooKeeperClientOptions</c>,
    /// may run continuations inline).
    /// </summary>
    public Action<ZooKeeperClientOptions>? ConfigureClient { get; set; }
}
