using Orleans.ZooKeeper.Client.Logging;
using Orleans.ZooKeeper.Client.Proto;
using Orleans.ZooKeeper.Client.Sasl;
using Orleans.ZooKeeper.Client.Transport;

namespace Orleans.ZooKeeper.Client.Session;

/// <summary>The send thread: connect (round-robin, backoff), handshake, prime, write until the connection drops, repeat.</summary>
internal sealed partial class ZooKeeperSession
{
    private long _sessionId;
    private byte[] _password = new byte[ConnectRequest.PasswordLength];
    private bool _seenReadWriteServer;
    private Exception? _lastConnectError;

    // Before the first session: connection attempts refused in a row (nothing listens), and the signal that fails
    // waiters once every server refused RefusedRoundsBeforeFailing rounds in a row.
    private readonly TaskCompletionSource<Exception> _allRefused = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConnectFailureReporter _failureReporter = new();
    private int _refusedInARow;
    private bool _everConnected;
    private int _connectionsMade;

    /// <summary>The latest connection of the current session (kept while SUSPENDED); null once the session is gone.</summary>
    private volatile Connection? _leaseConnection;

    /// <summary>
    /// How long the server is still certain to keep <paramref name="sessionId"/> (see
    /// <see cref="ZooKeeperClient.GetSessionLease"/>): 9/10 of the negotiated timeout from the send time of the latest
    /// answered request, ping or handshake; zero for another, an expired or a read-only session, or once that passed.
    /// </summary>
    public TimeSpan GetSessionLease(long sessionId)
    {
        var connection = _leaseConnection;
        if (sessionId == 0 || connection is null || connection.SessionId != sessionId || connection.IsReadOnly)
        {
            return TimeSpan.Zero;
        }

        var remaining = connection.ConfirmedTicks + (connection.NegotiatedTimeoutMs * 9L / 10) - Environment.TickCount64;
        return remaining > 0 ? TimeSpan.FromMilliseconds(remaining) : TimeSpan.Zero;
    }

    /// <summary>
    /// One TCP connect + TLS + session handshake attempt: the option; else the session timeout ÷ servers, within
    /// 1..10 s, and while a session is being re-established at most a third of its negotiated timeout (at least 1 s).
    /// A server that takes the connection and never answers (ZooKeeper 3.8 leaves open a connection it accepted while
    /// still loading its data) then costs one attempt, not the session: two more fit before the session could expire.
    /// </summary>
    public TimeSpan ConnectTimeout
    {
        get
        {
            if (Options.ConnectTimeout is { } configured)
            {
                return configured;
            }

            var milliseconds = Math.Clamp(Options.SessionTimeout.TotalMilliseconds / _servers.Count, 1000, 10_000);
            if (_seenReadWriteServer && _leaseConnection is { } last)
            {
                milliseconds = Math.Min(milliseconds, Math.Max(1000, last.NegotiatedTimeoutMs / 3.0));
            }

            return TimeSpan.FromMilliseconds(milliseconds);
        }
    }

    private void SendLoop()
    {
        var token = _shutdown.Token;
        var failures = 0;
        try
        {
            while (!token.IsCancellationRequested && _pipeline.Fatal is null)
            {
                if (failures > 0 && failures % _servers.Count == 0)
                {
                    // Every server failed once: back off (with jitter) before the next round.
                    var round = failures / _servers.Count;
                    var delay = Math.Min(Options.ReconnectBackoff.TotalMilliseconds, 50 * Math.Pow(2, Math.Min(round - 1, 20)));
                    delay = delay / 2 + (Random.Shared.NextDouble() * delay / 2);
                    if (token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(delay)))
                    {
                        break;
                    }
                }

                var connection = TryConnect(_servers.Next(), ref failures);
                if (connection is null || !Activate(connection))
                {
                    continue;
                }

                connection.RunWriter();
                var reason = connection.Closed.GetAwaiter().GetResult();
                lock (_stateLock)
                {
                    if (ReferenceEquals(_current, connection))
                    {
                        _current = null;
                    }
                }

                if (token.IsCancellationRequested || _pipeline.Fatal is not null)
                {
                    break;
                }

                Log.ConnectionLost(_logger, connection.Server.ToString(), connection.SessionId, reason.Message);
                SetState(ConnectionState.Suspended, KeeperState.Disconnected, null);
            }
        }
        catch (Exception ex)
        {
            // Never expected; the session cannot go on without its send thread.
            Log.CallbackFailed(_logger, ex);
            Fail(new ConnectionLossException(null, "the ZooKeeper client's send thread failed: " + ex.Message, ex));
        }
        finally
        {
            _sendLoopExited.TrySetResult();
        }
    }

    /// <summary>Opens a transport and runs the handshake; null (after noting why) when it did not give a usable connection.</summary>
    private Connection? TryConnect(ServerAddress server, ref int failures)
    {
        var timeout = ConnectTimeout;
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        attempt.CancelAfter(timeout);
        TransportStream? transport = null;
        try
        {
            transport = _connector.Connect(server, attempt.Token);
            var sessionId = _seenReadWriteServer ? SessionId : 0;
            var request = new ConnectRequest(LastZxid, (int)Options.SessionTimeout.TotalMilliseconds, sessionId, sessionId == 0 ? new byte[ConnectRequest.PasswordLength] : _password, Options.CanBeReadOnly);
            ConnectResponse response;
            var handshakeSent = Environment.TickCount64;
            try
            {
                response = Handshake.Perform(transport.Stream, request);
            }
            catch (Exception ex) when (ex is IOException or ProtocolException or ObjectDisposedException or System.Net.Sockets.SocketException or System.Security.Authentication.AuthenticationException)
            {
                throw new ConnectAttemptException(server, attempt.IsCancellationRequested
                    ? $"no answer to the session handshake within the connect timeout ({timeout.TotalMilliseconds:0} ms)"
                    : "session handshake failed: " + ex.Message, ex);
            }

            if (!response.IsRefused && !response.IsExpired && Options.Sasl is { } sasl)
            {
                Authenticate(transport, sasl, server, response.SessionId, attempt, timeout);
            }

            if (!transport.EndDeadline())
            {
                throw new ConnectAttemptException(server, $"no answer to the session handshake within the connect timeout ({timeout.TotalMilliseconds:0} ms)", null);
            }

            if (response.IsRefused)
            {
                throw new ConnectAttemptException(server, response.Refusal == ErrorCode.NotReadOnly
                    ? "the server is read-only (it has lost its quorum) and ZooKeeperClientOptions.CanBeReadOnly is off"
                    : $"the server refused the session ({response.Refusal})", null);
            }

            if (response.IsExpired)
            {
                transport.Dispose();
                OnExpired();
                return null;
            }

            var connection = new Connection(transport, response, _context, this, handshakeSent);
            transport = null;
            Volatile.Write(ref _lastConnectError, null);
            failures = 0;
            _refusedInARow = 0;
            _everConnected = true;
            _failureReporter.Connected(server);
            return connection;
        }
        catch (SaslRefusedException ex)
        {
            transport?.Dispose();
            if (!_shutdown.IsCancellationRequested)
            {
                OnSaslRefused(ex);
            }

            return null;
        }
        catch (ConnectAttemptException ex)
        {
            transport?.Dispose();
            if (_shutdown.IsCancellationRequested)
            {
                return null;
            }

            failures++;
            Volatile.Write(ref _lastConnectError, ex);
            Log.ConnectFailed(_logger, server.ToString(), ex.Message);
            if (_failureReporter.ShouldReport(server, Environment.TickCount64, out var unreported))
            {
                Log.ConnectFailedReport(_logger, server.ToString(), ex.Message, unreported == 0 ? string.Empty : $" ({unreported} more failed attempt(s) since the last report)");
            }

            NoteRefusal(ex);
            return null;
        }
    }

    /// <summary>The SASL exchange on a handshaken transport; a transport failure or the deadline fails only this attempt.</summary>
    private void Authenticate(TransportStream transport, ZooKeeperSaslOptions sasl, ServerAddress server, long sessionId, CancellationTokenSource attempt, TimeSpan timeout)
    {
        try
        {
            var mechanism = SaslExchange.Perform(transport.Stream, sasl, server, _pipeline.ReserveXid, Options.MaxPacketSize);
            Log.SaslAuthenticated(_logger, server.ToString(), sessionId, mechanism);
        }
        catch (Exception ex) when (ex is IOException or ProtocolException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            throw new ConnectAttemptException(server, attempt.IsCancellationRequested
                ? $"no answer in the SASL exchange within the connect timeout ({timeout.TotalMilliseconds:0} ms)"
                : "SASL exchange failed: " + ex.Message, ex);
        }
    }

    /// <summary>The server refused SASL: the client gives up (LOST, AuthFailed) instead of retrying in a loop.</summary>
    private void OnSaslRefused(SaslRefusedException refusal)
    {
        Log.SaslFailed(_logger, refusal.Message);
        EndRefused(new AuthFailedException(null, refusal.Message, refusal), connection: null);
    }

    /// <summary>Makes a handshaken connection the live one: start reading, prime it in FIFO order, announce CONNECTED.</summary>
    private bool Activate(Connection connection)
    {
        var previous = SessionId;
        if (previous != 0 && previous != connection.SessionId)
        {
            // Only after a read-only session: the first read-write server gives a new session (as the Java client does).
            Log.NewSessionAfterReadOnly(_logger, previous, connection.SessionId);
        }

        if (_connectionsMade++ > 0)
        {
            Diagnostics.ClientTelemetry.Reconnects.Add(1);
        }

        Interlocked.Exchange(ref _sessionId, connection.SessionId);
        _password = connection.Password;
        _seenReadWriteServer |= !connection.IsReadOnly;
        connection.StartReader();

        if (!_pipeline.Prime(connection, Watches.Snapshot(), LastZxid))
        {
            connection.Abort(new IOException("the connection closed while it was being primed"));
            return false;
        }

        lock (_stateLock)
        {
            if (_closeTask is not null && _shutdown.IsCancellationRequested)
            {
                connection.Abort(new ObjectDisposedException(nameof(ZooKeeperClient)));
                return false;
            }

            _current = connection;
            _leaseConnection = connection;
        }

        Log.Connected(_logger, connection.Server.ToString(), connection.SessionId, connection.NegotiatedTimeoutMs, connection.IsReadOnly ? " (read-only)" : string.Empty);
        SetState(ConnectionState.Connected, connection.IsReadOnly ? KeeperState.ConnectedReadOnly : KeeperState.SyncConnected, connection.Server.ToString());
        if (connection.IsReadOnly)
        {
            StartReadWriteSearch(connection);
        }

        return true;
    }

    private void OnExpired()
    {
        var expiredId = SessionId;
        Log.SessionExpired(_logger, expiredId);
        Diagnostics.ClientTelemetry.Expirations.Add(1);
        Interlocked.Exchange(ref _sessionId, 0);
        _leaseConnection = null;
        _password = new byte[ConnectRequest.PasswordLength];
        _seenReadWriteServer = false;
        if (!Options.ReconnectAfterExpiry)
        {
            Fail(new SessionExpiredException(null, $"session 0x{expiredId:x} expired and ZooKeeperClientOptions.ReconnectAfterExpiry is off"));
        }
        else
        {
            _pipeline.FailQueued(request => new SessionExpiredException(request.Path, $"session 0x{expiredId:x} expired before the request was sent; it was not applied"));
        }

        EndAllWatches(KeeperState.Expired);
        SetState(ConnectionState.Lost, KeeperState.Expired, null, expiredId);
    }

    /// <summary>Waits until CONNECTED; <see cref="ConnectionLossException"/> (with the last connect error) after <paramref name="timeout"/>.</summary>
    public async Task WaitConnectedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Start();
        Task signal;
        lock (_stateLock)
        {
            if (_pipeline.Fatal is { } fatal)
            {
                throw fatal;
            }

            if (State == ConnectionState.Connected)
            {
                return;
            }

            signal = _connectedSignal.Task;
        }

        try
        {
            // A refused port is not a slow server: when every server refused enough rounds in a row, fail now.
            if (await Task.WhenAny(signal, _allRefused.Task).WaitAsync(timeout, cancellationToken).ConfigureAwait(false) != signal)
            {
                throw await _allRefused.Task.ConfigureAwait(false);
            }

            await signal.ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            var last = LastConnectError;
            throw new ConnectionLossException(
                null,
                $"not connected to ZooKeeper ({ConnectString}) within {timeout.TotalMilliseconds:0} ms (state {State})" + (last is null ? string.Empty : $"; last attempt: {last.Message}"),
                last);
        }
    }

    /// <summary>True once every server refused the connection enough rounds in a row before the first session.</summary>
    public bool EveryServerRefused => _allRefused.Task.IsCompleted;

    /// <summary>Counts refused attempts before the first session; fails waiters when every server refused enough rounds in a row.</summary>
    private void NoteRefusal(ConnectAttemptException ex)
    {
        var refused = ex.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused };
        _refusedInARow = refused && !_everConnected ? _refusedInARow + 1 : 0;
        var rounds = Options.RefusedRoundsBeforeFailing;
        if (rounds > 0 && _refusedInARow >= rounds * _servers.Count)
        {
            _allRefused.TrySetResult(new ConnectionLossException(
                null,
                $"every ZooKeeper server of {ConnectString} refused the connection, {rounds} round(s) in a row: nothing listens there (is ZooKeeper running, is the port right?); last attempt: {ex.Message}",
                ex));
        }
    }
}
