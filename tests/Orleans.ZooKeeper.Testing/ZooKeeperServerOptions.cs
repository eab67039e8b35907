namespace Orleans.ZooKeeper.Testing;

/// <summary>
/// Settings of a test ZooKeeper server (standalone, or each node of an ensemble through
/// <see cref="ZooKeeperEnsembleOptions"/>).
/// </summary>
public record ZooKeeperServerOptions
{
    /// <summary>
    /// <c>tickTime</c> in milliseconds (default 2000). Session timeouts are clamped to
    /// [2*tickTime, 20*tickTime] unless <see cref="MinSessionTimeout"/>/<see cref="MaxSessionTimeout"/> say
    /// otherwise: a small tick (200-500 ms) makes session-expiry tests fast.
    /// </summary>
    public int TickTime { get; init; } = 2000;

    /// <summary>
    /// Enables TTL and container nodes: <c>-Dzookeeper.extendedTypesEnabled=true</c> and
    /// <c>-Dznode.container.checkIntervalMs=1000</c> (containers are then reaped about 1 s after their last child goes).
    /// </summary>
    public bool ExtendedTypes { get; init; }

    /// <summary>
    /// fsync the transaction log (ZooKeeper's default). False (the default here) passes
    /// <c>-Dzookeeper.forceSync=no</c>: faster writes, fine for tests; benchmarks must state which they used.
    /// </summary>
    public bool ForceSync { get; init; }

    /// <summary><c>-Djute.maxbuffer</c> (server packet limit, bytes); null keeps the default 1,048,575.</summary>
    public int? MaxBuffer { get; init; }

    /// <summary><c>minSessionTimeout</c> in ms; null keeps 2*tickTime.</summary>
    public int? MinSessionTimeout { get; init; }

    /// <summary><c>maxSessionTimeout</c> in ms; null keeps 20*tickTime.</summary>
    public int? MaxSessionTimeout { get; init; }

    /// <summary>
    /// Extra <c>zoo.cfg</c> lines (<c>key=value</c>), appended last: a key given here overrides the harness's value.
    /// </summary>
    public IReadOnlyList<string> ExtraConfig { get; init; } = [];

    /// <summary>Extra JVM arguments (e.g. <c>-Dsome.property=x</c>), placed after the harness's own JVM flags.</summary>
    public IReadOnlyList<string> ExtraJvmArgs { get; init; } = [];

    /// <summary>Maximum Java heap in MiB (<c>-Xmx</c>); default 256.</summary>
    public int HeapMegabytes { get; init; } = 256;

    /// <summary>
    /// Adds <c>-XX:+UseSerialGC -XX:TieredStopAtLevel=1</c> (default true): faster JVM start and less memory,
    /// but C1-only code. Benchmarks that measure server throughput should set this to false.
    /// </summary>
    public bool FastStartupJvm { get; init; } = true;

    /// <summary>
    /// The client port of a standalone server; null (the default) picks one with <see cref="FreePort"/>.
    /// Ignored by ensembles, whose ports are always picked with <see cref="FreePort"/>.
    /// </summary>
    public int? ClientPort { get; init; }

    /// <summary>
    /// TLS on a second client port (<see cref="ZooKeeperServerProcess.SecurePort"/>, 127.0.0.1) besides the plain one;
    /// null (the default) for no TLS. For ensembles every node gets it (quorum traffic stays plain).
    /// <see cref="TestCertificates.CreateServerTlsOptions"/> makes one from the test certificates.
    /// </summary>
    public ZooKeeperServerTlsOptions? Tls { get; init; }

    /// <summary>SASL DIGEST-MD5 users (and optionally required SASL); null (the default) for no SASL.</summary>
    public ZooKeeperServerSaslOptions? Sasl { get; init; }

    /// <summary>How long start/restart waits for the server to serve requests (default 60 s).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>Settings of a test ensemble: every node gets the <see cref="ZooKeeperServerOptions"/> settings.</summary>
public sealed record ZooKeeperEnsembleOptions : ZooKeeperServerOptions
{
    /// <summary>Number of voting nodes (default 3).</summary>
    public int NodeCount { get; init; } = 3;

    /// <summary><c>initLimit</c> in ticks (default 10).</summary>
    public int InitLimit { get; init; } = 10;

    /// <summary><c>syncLimit</c> in ticks (default 5).</summary>
    public int SyncLimit { get; init; } = 5;

    /// <summary>
    /// Lets a node that lost quorum serve read-only clients: adds <c>-Dreadonlymode.enabled=true</c> and
    /// <c>localSessionsEnabled=true</c>, <c>localSessionsUpgradingEnabled=true</c> (all three are needed; without
    /// the local-session settings a read-only ConnectRequest gets a 16-byte error reply).
    /// </summary>
    public bool ReadOnlyMode { get; init; }
}
