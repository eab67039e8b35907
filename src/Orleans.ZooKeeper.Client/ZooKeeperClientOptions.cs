namespace Orleans.ZooKeeper.Client;

/// <summary>Settings of a <see cref="ZooKeeperClient"/>.</summary>
public sealed class ZooKeeperClientOptions
{
    /// <summary>The default packet limit, the server's default jute.maxbuffer (0xfffff).</summary>
    public const int DefaultMaxPacketSize = 0xfffff;

    /// <summary>The connect string: <c>host1:2181,host2:2182/optional/chroot</c>.</summary>
    public string ConnectString { get; set; } = "127.0.0.1:2181";

    /// <summary>The requested session timeout. The server clamps it to [2, 20] × its tickTime.</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a call made while no connection is up (SUSPENDED, or before the first connect) waits for one before
    /// failing with <see cref="ConnectionLossException"/>. Zero fails at once. Null (the default) waits up to the
    /// session timeout. The call's CancellationToken can end the wait earlier.
    /// </summary>
    public TimeSpan? DisconnectedRequestTimeout { get; set; }

    /// <summary>
    /// Upper bound on one connection attempt (TCP connect, TLS handshake, session handshake). Null: the session
    /// timeout ÷ number of servers, but at least 1 s and at most 10 s, so a server that accepts connections and never
    /// answers cannot hold up failover for long, whatever the session timeout; and while an established session is
    /// being re-established, at most a third of its negotiated timeout (at least 1 s), so one attempt that hangs
    /// cannot cost the session. A value set here is used as it is.
    /// </summary>
    public TimeSpan? ConnectTimeout { get; set; }

    /// <summary>Largest frame the client sends or accepts, excluding the 4-byte length prefix. Must match the server's jute.maxbuffer.</summary>
    public int MaxPacketSize { get; set; } = DefaultMaxPacketSize;

    /// <summary>Allow connecting to a read-only server (one that lost quorum, with readonlymode.enabled).</summary>
    public bool CanBeReadOnly { get; set; }

    /// <summary>
    /// Before the first session only: when every server refused the TCP connection (nothing listens on its port) this
    /// many rounds in a row, <c>ZooKeeperClient.ConnectAsync</c>
    /// and <see cref="ZooKeeperClient.WaitUntilConnectedAsync"/> fail at once, naming the servers and the cause, instead of
    /// waiting out their timeout — a refused port is not a slow server. The client keeps trying in the background.
    /// Default 3; 0 waits for the timeout whatever the servers answer.
    /// </summary>
    public int RefusedRoundsBeforeFailing { get; set; } = 3;

    /// <summary>Shuffle the server list once before connecting (the usual behaviour, spreads load).</summary>
    public bool ShuffleServers { get; set; } = true;

    /// <summary>After the session expires, establish a new session automatically (the state goes LOST, then CONNECTED).</summary>
    public bool ReconnectAfterExpiry { get; set; } = true;

    /// <summary>Pause after every server in the list failed once, before trying again.</summary>
    public TimeSpan ReconnectBackoff { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>TLS settings; null (the default) for plaintext connections. The connect string then names secure client ports.</summary>
    public ZooKeeperTlsOptions? Tls { get; set; }

    /// <summary>
    /// SASL authentication on every connection (<see cref="ZooKeeperSaslOptions"/>), before the <see cref="Auth"/>
    /// replay; null (the default) for none.
    /// </summary>
    public ZooKeeperSaslOptions? Sasl { get; set; }

    /// <summary>Credentials replayed on every connection, in order (scheme, auth bytes). Prefer <see cref="AddDigest"/>.</summary>
    public IList<AuthInfo> Auth { get; private set; } = new List<AuthInfo>();

    /// <summary>
    /// False (the default): a reply completes its caller's task on the client's reader thread, so the code after
    /// <c>await</c> runs there at once — no thread-pool hop, the least CPU and latency. If such code blocks (or runs
    /// long), the client notices within ~200 ms and gives reading to a fresh thread, so blocking can delay other
    /// replies briefly but never deadlock the session. True: every continuation is queued to the thread pool (more
    /// CPU per call; never delays other replies). Code that awaits with a captured synchronization context or task
    /// scheduler (UI, Orleans grains) always continues there, whatever this says.
    /// </summary>
    public bool RunContinuationsAsynchronously { get; set; }

    /// <summary>Adds digest credentials (<c>user:password</c>), sent on every connection.</summary>
    public ZooKeeperClientOptions AddDigest(string user, string password)
    {
        Auth.Add(AuthInfo.Digest(user, password));
        return this;
    }

    /// <summary>Authenticates every connection with SASL DIGEST-MD5 as <paramref name="username"/>.</summary>
    public ZooKeeperClientOptions UseSasl(string username, string password)
        => UseSasl(s =>
        {
            s.Mechanism = ZooKeeperSaslOptions.DigestMd5;
            s.Username = username;
            s.Password = password;
        });

    /// <summary>Authenticates every connection with SASL, configured by <paramref name="configure"/>.</summary>
    public ZooKeeperClientOptions UseSasl(Action<ZooKeeperSaslOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var sasl = Sasl ?? new ZooKeeperSaslOptions();
        configure(sasl);
        Sasl = sasl;
        return this;
    }

    /// <summary>Uses TLS with the given settings.</summary>
    public ZooKeeperClientOptions UseTls(Action<ZooKeeperTlsOptions>? configure = null)
    {
        var tls = Tls ?? new ZooKeeperTlsOptions();
        configure?.Invoke(tls);
        Tls = tls;
        return this;
    }

    /// <summary>A copy that later changes to this object do not affect (credentials and TLS settings copied too).</summary>
    internal ZooKeeperClientOptions Clone()
    {
        var copy = (ZooKeeperClientOptions)MemberwiseClone();
        copy.Auth = new List<AuthInfo>(Auth);
        copy.Tls = Tls?.Clone();
        copy.Sasl = Sasl?.Clone();
        return copy;
    }

    internal void Validate()
    {
        if (SessionTimeout <= TimeSpan.Zero || SessionTimeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(SessionTimeout), SessionTimeout, "The session timeout must be positive.");
        }

        if (MaxPacketSize < 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPacketSize), MaxPacketSize, "The packet limit must be at least 1024 bytes.");
        }

        if (DisconnectedRequestTimeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(DisconnectedRequestTimeout), DisconnectedRequestTimeout, "Must not be negative.");
        }

        if (RefusedRoundsBeforeFailing < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(RefusedRoundsBeforeFailing), RefusedRoundsBeforeFailing, "Must be 0 (never) or more.");
        }

        Sasl?.Validate();
        if (ConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "Must be positive.");
        }
    }
}

/// <summary>Credentials for one authentication scheme. <see cref="ToString"/> never shows the secret.</summary>
public sealed class AuthInfo
{
    /// <summary>Creates credentials.</summary>
    /// <param name="scheme">The scheme, e.g. <c>digest</c>.</param>
    /// <param name="auth">The scheme-specific bytes (for digest: UTF-8 <c>user:password</c>).</param>
    public AuthInfo(string scheme, byte[] auth)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        ArgumentNullException.ThrowIfNull(auth);
        if (!Proto.Utf8Text.IsEncodable(scheme))
        {
            throw new ArgumentException("The auth scheme contains an unpaired surrogate and cannot be sent as UTF-8.", nameof(scheme));
        }

        Scheme = scheme;
        Auth = auth;
    }

    /// <summary>The scheme.</summary>
    public string Scheme { get; }

    /// <summary>The secret bytes.</summary>
    internal byte[] Auth { get; }

    /// <summary>Digest credentials.</summary>
    public static AuthInfo Digest(string user, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentNullException.ThrowIfNull(password);
        if (user.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException("A digest user name must not contain ':'.", nameof(user));
        }

        return new AuthInfo("digest", System.Text.Encoding.UTF8.GetBytes(user + ":" + password));
    }

    /// <inheritdoc/>
    public override string ToString() => Scheme + ":***";
}
