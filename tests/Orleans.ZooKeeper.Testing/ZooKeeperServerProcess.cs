using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Orleans.ZooKeeper.Testing;

/// <summary>
/// One ZooKeeper server JVM started by this harness on 127.0.0.1: a <see cref="ZooKeeperServer"/> or a
/// <see cref="ZooKeeperEnsembleNode"/>. Only the process this object started is ever signalled.
/// </summary>
public abstract partial class ZooKeeperServerProcess
{
    private static readonly TimeSpan DefaultFourLetterWordTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DefaultStopGracePeriod = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ExitWaitTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly object gate = new();
    private readonly ZooKeeperInstallation installation;
    private readonly string mainClass;
    private readonly int? securePort;
    private Process? process;
    private int pid;
    private bool paused;
    private bool released;

    private protected ZooKeeperServerProcess(
        ZooKeeperInstallation installation,
        ZooKeeperServerOptions options,
        string dataDir,
        int port,
        int? securePort,
        string mainClass)
    {
        if ((options.Tls is null) != (securePort is null))
        {
            throw new ArgumentException("A secure port goes with TLS options, and only with them.", nameof(securePort));
        }

        this.installation = installation;
        this.mainClass = mainClass;
        this.securePort = securePort;
        ServerOptions = options;
        DataDir = dataDir;
        Port = port;
        Directory.CreateDirectory(ZooKeeperDataDir);
    }

    /// <summary>The client port on 127.0.0.1; it stays the same across restarts.</summary>
    public int Port { get; }

    /// <summary><c>127.0.0.1:</c><see cref="Port"/>.</summary>
    public string ConnectString => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>True when the server was configured with <see cref="ZooKeeperServerOptions.Tls"/> (it then has a <see cref="SecurePort"/>).</summary>
    public bool IsTlsEnabled => securePort is not null;

    /// <summary>The TLS-only client port on 127.0.0.1 (<c>secureClientPort</c>); it stays the same across restarts.</summary>
    /// <exception cref="InvalidOperationException">The server has no TLS (<see cref="ZooKeeperServerOptions.Tls"/> was null).</exception>
    public int SecurePort => securePort ?? throw new InvalidOperationException($"{DisplayName} was configured without TLS (ZooKeeperServerOptions.Tls is null).");

    /// <summary><c>127.0.0.1:</c><see cref="SecurePort"/>.</summary>
    /// <exception cref="InvalidOperationException">The server has no TLS (<see cref="ZooKeeperServerOptions.Tls"/> was null).</exception>
    public string SecureConnectString => "127.0.0.1:" + SecurePort.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// This server's own directory: holds <c>zoo.cfg</c>, the log file (<see cref="LogPath"/>) and the
    /// ZooKeeper <c>dataDir</c> (<see cref="ZooKeeperDataDir"/>). Kept across restarts.
    /// </summary>
    public string DataDir { get; }

    /// <summary>The <c>dataDir</c> in <c>zoo.cfg</c> (snapshots, transaction logs, <c>myid</c>).</summary>
    public string ZooKeeperDataDir => Path.Combine(DataDir, "data");

    /// <summary>The generated <c>zoo.cfg</c>.</summary>
    public string ConfigPath => Path.Combine(DataDir, "zoo.cfg");

    /// <summary>The server's stdout and stderr (appended across restarts).</summary>
    public string LogPath => Path.Combine(DataDir, "zookeeper.log");

    /// <summary>The server's JAAS file (written when <see cref="ZooKeeperServerOptions.Sasl"/> is set).</summary>
    public string JaasPath => Path.Combine(DataDir, "jaas-server.conf");

    /// <summary>The PID of the most recently started server process (it may have exited since); 0 before the first start.</summary>
    public int Pid
    {
        get
        {
            lock (gate)
            {
                return pid;
            }
        }
    }

    /// <summary>True while the most recently started process has not exited (also while paused).</summary>
    public bool IsRunning
    {
        get
        {
            lock (gate)
            {
                return process is { HasExited: false };
            }
        }
    }

    /// <summary>True between <see cref="Pause"/> and <see cref="Resume"/> (or a kill/stop).</summary>
    public bool IsPaused
    {
        get
        {
            lock (gate)
            {
                return paused && process is { HasExited: false };
            }
        }
    }

    /// <summary>The options this server was configured with.</summary>
    protected ZooKeeperServerOptions ServerOptions { get; }

    /// <summary>A short name for messages.</summary>
    protected abstract string DisplayName { get; }

    /// <summary>
    /// Starts the server process (if not running) and waits until it serves requests
    /// (<c>srvr</c> reports standalone, leader, follower or observer).
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait (the process keeps running).</param>
    public Task StartAsync(CancellationToken cancellationToken = default) => StartAsync(waitUntilServing: true, cancellationToken);

    /// <summary>Starts the server process if it is not running.</summary>
    /// <param name="waitUntilServing">Wait until it serves requests (see <see cref="WaitUntilServingAsync"/>).</param>
    /// <param name="cancellationToken">Cancels the wait (the process keeps running).</param>
    public async Task StartAsync(bool waitUntilServing, CancellationToken cancellationToken = default)
    {
        Spawn();
        if (waitUntilServing)
        {
            await WaitUntilServingAsync(null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops the server gracefully if it is running, then starts it again on the same port with the same data
    /// directory and waits until it serves requests.
    /// </summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    public Task RestartAsync(CancellationToken cancellationToken = default) => RestartAsync(waitUntilServing: true, cancellationToken);

    /// <summary>
    /// Stops the server gracefully if it is running, then starts it again on the same port with the same data
    /// directory.
    /// </summary>
    /// <param name="waitUntilServing">Wait until it serves requests (see <see cref="WaitUntilServingAsync"/>).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    public async Task RestartAsync(bool waitUntilServing, CancellationToken cancellationToken = default)
    {
        await StopAsync(cancellationToken).ConfigureAwait(false);
        await StartAsync(waitUntilServing, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>SIGKILLs the server process (if running) and waits until it has exited.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task KillAsync(CancellationToken cancellationToken = default)
    {
        Process? p = CurrentProcess();
        if (p is null)
        {
            return;
        }

        SignalIfRunning(p, Native.SIGKILL);
        await WaitForExitAsync(p, ExitWaitTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// SIGTERMs the server process (if running; a paused one is resumed so it can handle the signal), waits up to
    /// <paramref name="gracePeriod"/> (default 10 s) for it to exit, then SIGKILLs it.
    /// </summary>
    /// <param name="gracePeriod">How long to wait after SIGTERM; null for 10 s.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task StopAsync(TimeSpan? gracePeriod, CancellationToken cancellationToken = default)
    {
        Process? p = CurrentProcess();
        if (p is null)
        {
            return;
        }

        SignalIfRunning(p, Native.SIGTERM);
        SignalIfRunning(p, Native.SIGCONT);
        using (var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            grace.CancelAfter(gracePeriod ?? DefaultStopGracePeriod);
            try
            {
                await p.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Grace period over.
            }
        }

        if (!p.HasExited)
        {
            SignalIfRunning(p, Native.SIGKILL);
            await WaitForExitAsync(p, ExitWaitTimeout, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Same as <see cref="StopAsync(TimeSpan?, CancellationToken)"/> with a 10 s grace period.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public Task StopAsync(CancellationToken cancellationToken = default) => StopAsync(null, cancellationToken);

    /// <summary>
    /// SIGSTOPs the server process: it keeps its sockets but stops answering (heartbeats included), so
    /// client sessions time out from the client's side; the server expires them once resumed.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server is not running.</exception>
    public void Pause()
    {
        lock (gate)
        {
            Process p = process is { HasExited: false } running ? running : throw new InvalidOperationException($"{DisplayName} is not running.");
            if (!Native.SendSignal(p.Id, Native.SIGSTOP))
            {
                throw new InvalidOperationException($"{DisplayName} is not running.");
            }

            paused = true;
        }
    }

    /// <summary>SIGCONTs a server paused with <see cref="Pause"/>.</summary>
    /// <exception cref="InvalidOperationException">The server is not running.</exception>
    public void Resume()
    {
        lock (gate)
        {
            Process p = process is { HasExited: false } running ? running : throw new InvalidOperationException($"{DisplayName} is not running.");
            if (!Native.SendSignal(p.Id, Native.SIGCONT))
            {
                throw new InvalidOperationException($"{DisplayName} is not running.");
            }

            paused = false;
        }
    }

    /// <summary>
    /// Sends a four-letter word (<c>srvr</c>, <c>stat</c>, <c>cons</c>, <c>mntr</c>, <c>dump</c>, <c>conf</c>, ...)
    /// over a new TCP connection to 127.0.0.1:<see cref="Port"/> and returns the whole reply.
    /// </summary>
    /// <param name="command">Exactly four ASCII letters.</param>
    /// <param name="cancellationToken">Cancels the exchange.</param>
    /// <exception cref="SocketException">Nothing listens on the port.</exception>
    /// <exception cref="TimeoutException">No complete reply within 5 s (e.g. the server is paused).</exception>
    public Task<string> FourLetterWordAsync(string command, CancellationToken cancellationToken = default) =>
        FourLetterWordAsync(command, DefaultFourLetterWordTimeout, cancellationToken);

    /// <summary>As <see cref="FourLetterWordAsync(string, CancellationToken)"/> with a given timeout.</summary>
    /// <param name="command">Exactly four ASCII letters.</param>
    /// <param name="timeout">Time allowed for connect, send and the whole reply.</param>
    /// <param name="cancellationToken">Cancels the exchange.</param>
    /// <exception cref="SocketException">Nothing listens on the port.</exception>
    /// <exception cref="TimeoutException">No complete reply within <paramref name="timeout"/>.</exception>
    public Task<string> FourLetterWordAsync(string command, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        ExchangeFourLetterWordAsync(command, timeout, Port, null, cancellationToken);

    /// <summary>
    /// Sends a four-letter word over TLS to 127.0.0.1:<see cref="SecurePort"/> and returns the whole reply. Needed for
    /// <c>cons</c>: it lists only the connections of the port it arrives on, so TLS sessions are missing from the
    /// plain port's answer.
    /// </summary>
    /// <param name="command">Exactly four ASCII letters.</param>
    /// <param name="tlsOptions">How to connect (trust, client certificate when the server needs one; e.g. trust <see cref="TestCertificates.Ca"/>).</param>
    /// <param name="timeout">Time allowed for connect, handshake, send and the whole reply; null for 5 s.</param>
    /// <param name="cancellationToken">Cancels the exchange.</param>
    /// <exception cref="InvalidOperationException">The server has no TLS.</exception>
    /// <exception cref="SocketException">Nothing listens on the port.</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The TLS handshake failed.</exception>
    /// <exception cref="TimeoutException">No complete reply within the timeout.</exception>
    public Task<string> SecureFourLetterWordAsync(
        string command,
        SslClientAuthenticationOptions tlsOptions,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tlsOptions);
        return ExchangeFourLetterWordAsync(command, timeout ?? DefaultFourLetterWordTimeout, SecurePort, tlsOptions, cancellationToken);
    }

    /// <summary>
    /// The <c>Mode:</c> the server reports via <c>srvr</c>; <see cref="ZooKeeperMode.NotServing"/> when it does not
    /// run, cannot be reached within 2 s, or does not serve requests.
    /// </summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    public async Task<ZooKeeperMode> GetModeAsync(CancellationToken cancellationToken = default)
    {
        if (!IsRunning)
        {
            return ZooKeeperMode.NotServing;
        }

        string reply;
        try
        {
            reply = await FourLetterWordAsync("srvr", TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or TimeoutException or IOException)
        {
            return ZooKeeperMode.NotServing;
        }

        return ParseMode(reply);
    }

    /// <summary>
    /// The ids of the client sessions connected to this server, parsed from the <c>sid=0x...</c> fields of the
    /// <c>cons</c> four-letter word (connections that have no session yet are left out).
    /// </summary>
    /// <remarks>Only sessions connected to the plain port: for TLS sessions use the overload with TLS options.</remarks>
    /// <param name="cancellationToken">Cancels the query.</param>
    public async Task<IReadOnlyList<long>> GetConnectedSessionIdsAsync(CancellationToken cancellationToken = default)
    {
        string reply = await FourLetterWordAsync("cons", cancellationToken).ConfigureAwait(false);
        return ParseSessionIds(reply);
    }

    /// <summary>
    /// The ids of the client sessions connected to this server's plain port and, when <paramref name="secureTlsOptions"/>
    /// is given, to its TLS port (<c>cons</c> on each port: it lists only that port's connections).
    /// </summary>
    /// <param name="secureTlsOptions">How to connect to <see cref="SecurePort"/>; null for the plain port only.</param>
    /// <param name="cancellationToken">Cancels the queries.</param>
    public async Task<IReadOnlyList<long>> GetConnectedSessionIdsAsync(SslClientAuthenticationOptions? secureTlsOptions, CancellationToken cancellationToken = default)
    {
        var ids = new List<long>(await GetConnectedSessionIdsAsync(cancellationToken).ConfigureAwait(false));
        if (secureTlsOptions is not null)
        {
            string reply = await SecureFourLetterWordAsync("cons", secureTlsOptions, null, cancellationToken).ConfigureAwait(false);
            ids.AddRange(ParseSessionIds(reply));
        }

        return ids;
    }

    /// <summary>
    /// Waits until the server serves requests as standalone, leader, follower or observer (and, with TLS, its
    /// secure port listens: a standalone server binds it only after the plain port serves).
    /// Fails at once (with the log tail) if the process exits meanwhile.
    /// </summary>
    /// <param name="timeout">Deadline; null for the options' <see cref="ZooKeeperServerOptions.StartTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The mode it serves in.</returns>
    /// <exception cref="TimeoutException">Not serving before the deadline (message includes the log tail).</exception>
    /// <exception cref="InvalidOperationException">The process is not running or exited.</exception>
    public Task<ZooKeeperMode> WaitUntilServingAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForModeAsync(
            static m => m is ZooKeeperMode.Standalone or ZooKeeperMode.Leader or ZooKeeperMode.Follower or ZooKeeperMode.Observer,
            "serving (standalone/leader/follower/observer)",
            timeout,
            cancellationToken);

    /// <summary>Waits until <c>srvr</c> reports <paramref name="mode"/> (e.g. <see cref="ZooKeeperMode.ReadOnly"/>).</summary>
    /// <param name="mode">The awaited mode.</param>
    /// <param name="timeout">Deadline; null for the options' <see cref="ZooKeeperServerOptions.StartTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="TimeoutException">Not in that mode before the deadline.</exception>
    /// <exception cref="InvalidOperationException">The process is not running or exited.</exception>
    public Task WaitForModeAsync(ZooKeeperMode mode, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForModeAsync(m => m == mode, "in mode " + mode, timeout, cancellationToken);

    /// <summary>The last <paramref name="maxLines"/> lines of <see cref="LogPath"/> (empty if there is no log yet).</summary>
    /// <param name="maxLines">How many lines at most.</param>
    public string ReadLogTail(int maxLines = 60)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            const int MaxBytes = 64 * 1024;
            if (stream.Length > MaxBytes)
            {
                stream.Seek(-MaxBytes, SeekOrigin.End);
            }

            using var reader = new StreamReader(stream, Encoding.UTF8);
            string[] lines = reader.ReadToEnd().Split('\n');
            return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - maxLines)));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return string.Empty;
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{DisplayName} {ConnectString}{(securePort is { } secure ? " (TLS 127.0.0.1:" + secure.ToString(CultureInfo.InvariantCulture) + ")" : "")} " +
        $"(pid {Pid}, {(IsRunning ? IsPaused ? "paused" : "running" : "not running")})";

    /// <summary>
    /// Checks what can be checked before anything is created (TLS settings, store files, Netty jars); returns
    /// <paramref name="options"/>.
    /// </summary>
    private protected static T ValidateOptions<T>(T options)
        where T : ZooKeeperServerOptions
    {
        if (options.Tls is { } tls)
        {
            tls.Validate();
            ZooKeeperInstallation.EnsureTlsJarsPresent();
        }

        return options;
    }

    /// <summary>The <c>zoo.cfg</c> lines specific to this kind of server, written before the extra config.</summary>
    private protected abstract IEnumerable<string> GetSpecificConfigLines();

    /// <summary>JVM arguments specific to this kind of server.</summary>
    private protected virtual IEnumerable<string> GetSpecificJvmArgs() => [];

    /// <summary>Writes <c>zoo.cfg</c>; called by the derived constructors once they are fully initialized.</summary>
    private protected void WriteConfig()
    {
        ZooKeeperServerOptions o = ServerOptions;
        var lines = new List<string>
        {
            "# Generated by Orleans.ZooKeeper.Testing",
            $"tickTime={o.TickTime}",
            $"dataDir={ZooKeeperDataDir}",
            $"clientPort={Port}",
            "clientPortAddress=127.0.0.1",
            "admin.enableServer=false",
            "4lw.commands.whitelist=*",
            // Every test client comes from 127.0.0.1: the default limit of 60 connections per IP is too low.
            "maxClientCnxns=0",
            // KiB; the default preallocates 64 MiB transaction log files.
            "preAllocSize=1024",
            "snapCount=20000",
            "autopurge.purgeInterval=0",
        };
        if (o.MinSessionTimeout is { } min)
        {
            lines.Add($"minSessionTimeout={min}");
        }

        if (o.MaxSessionTimeout is { } max)
        {
            lines.Add($"maxSessionTimeout={max}");
        }

        if (o.Tls is { } tls && securePort is { } secure)
        {
            lines.AddRange(tls.GetConfigLines(secure));
        }

        if (o.Sasl is { } sasl)
        {
            lines.AddRange(sasl.GetConfigLines());
            sasl.WriteJaasFile(JaasPath);
        }

        lines.AddRange(GetSpecificConfigLines());
        lines.AddRange(o.ExtraConfig);
        File.WriteAllLines(ConfigPath, lines);
    }

    private List<string> BuildJavaArguments()
    {
        ZooKeeperServerOptions o = ServerOptions;
        var args = new List<string> { $"-Xmx{o.HeapMegabytes}m" };
        if (o.FastStartupJvm)
        {
            args.Add("-XX:+UseSerialGC");
            args.Add("-XX:TieredStopAtLevel=1");
        }

        // No /tmp/hsperfdata_* file (left behind by SIGKILL).
        args.Add("-XX:-UsePerfData");
        args.Add("-Djava.net.preferIPv4Stack=true");
        args.Add("-Dzookeeper.admin.enableServer=false");
        if (!o.ForceSync)
        {
            args.Add("-Dzookeeper.forceSync=no");
        }

        if (o.ExtendedTypes)
        {
            args.Add("-Dzookeeper.extendedTypesEnabled=true");
            args.Add("-Dznode.container.checkIntervalMs=1000");
        }

        if (o.MaxBuffer is { } maxBuffer)
        {
            args.Add($"-Djute.maxbuffer={maxBuffer}");
        }

        args.Add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        args.Add("-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS");
        if (o.Sasl is not null)
        {
            args.Add("-Djava.security.auth.login.config=" + JaasPath);
            args.AddRange(o.Sasl.GetJvmArgs());
        }

        args.AddRange(GetSpecificJvmArgs());
        args.AddRange(o.ExtraJvmArgs);
        args.Add("-cp");
        args.Add(o.Tls is null ? installation.ClassPath : installation.TlsClassPath);
        args.Add(mainClass);
        args.Add(ConfigPath);
        return args;
    }

    /// <summary>Starts the JVM if it is not running (does not wait for it to serve).</summary>
    private protected void Spawn()
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(released, this);
            if (process is { HasExited: false })
            {
                return;
            }

            process?.Dispose();
            process = null;
            paused = false;

            File.AppendAllText(
                LogPath,
                $"==== Orleans.ZooKeeper.Testing: starting {DisplayName} at {DateTime.Now:HH:mm:ss.fff} ====\n");

            // /bin/sh only sets up the redirections and then execs java, so the PID is java's own.
            var psi = new ProcessStartInfo("/bin/sh")
            {
                UseShellExecute = false,
                WorkingDirectory = DataDir,
            };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("log=\"$1\"; shift; exec \"$@\" </dev/null >>\"$log\" 2>&1");
            psi.ArgumentList.Add("zookeeper-test-server");
            psi.ArgumentList.Add(LogPath);
            psi.ArgumentList.Add(installation.JavaPath);
            foreach (string arg in BuildJavaArguments())
            {
                psi.ArgumentList.Add(arg);
            }

            Process started = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {DisplayName}.");
            TestDirectories.RegisterProcess(started);
            process = started;
            pid = started.Id;
        }
    }

    private async Task<ZooKeeperMode> WaitForModeAsync(
        Func<ZooKeeperMode, bool> accept,
        string what,
        TimeSpan? timeout,
        CancellationToken cancellationToken)
    {
        TimeSpan limit = timeout ?? ServerOptions.StartTimeout;
        var clock = Stopwatch.StartNew();
        ZooKeeperMode last = ZooKeeperMode.NotServing;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Process p = CurrentProcess() ?? throw new InvalidOperationException($"{DisplayName} was never started.");
            if (p.HasExited)
            {
                throw new InvalidOperationException(
                    $"{DisplayName} ({ConnectString}, pid {p.Id}) is not running (exit code {p.ExitCode}) while waiting for it to be {what}. " +
                    $"Log tail ({LogPath}):\n{ReadLogTail()}");
            }

            last = await GetModeAsync(cancellationToken).ConfigureAwait(false);
            bool secureListening = securePort is not { } secure || IsListening(secure);
            if (accept(last) && secureListening)
            {
                return last;
            }

            if (clock.Elapsed >= limit)
            {
                string secureState = securePort is null ? "" : secureListening ? ", secure port listening" : ", secure port not listening";
                throw new TimeoutException(
                    $"{DisplayName} ({ConnectString}, pid {p.Id}) was not {what} within {limit.TotalSeconds:0.#} s (last mode: {last}{secureState}). " +
                    $"Log tail ({LogPath}):\n{ReadLogTail()}");
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private static List<long> ParseSessionIds(string consReply)
    {
        var ids = new List<long>();
        foreach (Match m in SessionIdRegex().Matches(consReply))
        {
            ids.Add(unchecked((long)ulong.Parse(m.Groups[1].ValueSpan, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)));
        }

        return ids;
    }

    private async Task<string> ExchangeFourLetterWordAsync(
        string command,
        TimeSpan timeout,
        int port,
        SslClientAuthenticationOptions? tlsOptions,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Length != 4 || !command.All(char.IsAsciiLetterLower))
        {
            throw new ArgumentException("A four-letter word is exactly four lower-case ASCII letters.", nameof(command));
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            Stream stream = new NetworkStream(socket, ownsSocket: true);
            try
            {
                if (tlsOptions is not null)
                {
                    var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                    stream = tls;
                    await tls.AuthenticateAsClientAsync(tlsOptions, cts.Token).ConfigureAwait(false);
                }

                await stream.WriteAsync(Encoding.ASCII.GetBytes(command), cts.Token).ConfigureAwait(false);
                await stream.FlushAsync(cts.Token).ConfigureAwait(false);
                using var reply = new MemoryStream();
                await stream.CopyToAsync(reply, cts.Token).ConfigureAwait(false);
                return Encoding.UTF8.GetString(reply.GetBuffer(), 0, (int)reply.Length);
            }
            finally
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"'{command}' to {DisplayName} (127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}{(tlsOptions is null ? "" : ", TLS")}) " +
                $"got no complete reply within {timeout.TotalSeconds:0.###} s.");
        }
    }

    /// <summary>
    /// True when a TCP socket listens on <paramref name="port"/> (any local address), from <c>/proc/net/tcp</c> and
    /// <c>/proc/net/tcp6</c>: unlike a probe connection this leaves nothing in the server's log. True when neither
    /// file exists (no way to check).
    /// </summary>
    private static bool IsListening(int port)
    {
        const string Listen = "0A";
        bool checkedAny = false;
        foreach (string table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(table);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            checkedAny = true;

            // "  sl  local_address rem_address   st ...", e.g. "0: 0100007F:1F90 00000000:0000 0A ...".
            foreach (string line in lines.Skip(1))
            {
                string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 4 || fields[3] != Listen)
                {
                    continue;
                }

                int colon = fields[1].LastIndexOf(':');
                if (colon >= 0
                    && int.TryParse(fields[1].AsSpan(colon + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int localPort)
                    && localPort == port)
                {
                    return true;
                }
            }
        }

        return !checkedAny;
    }

    private static ZooKeeperMode ParseMode(string srvrReply)
    {
        Match m = ModeRegex().Match(srvrReply);
        if (!m.Success)
        {
            return ZooKeeperMode.NotServing;
        }

        return m.Groups[1].Value switch
        {
            "standalone" => ZooKeeperMode.Standalone,
            "leader" => ZooKeeperMode.Leader,
            "follower" => ZooKeeperMode.Follower,
            "observer" => ZooKeeperMode.Observer,
            "read-only" => ZooKeeperMode.ReadOnly,
            _ => ZooKeeperMode.Unknown,
        };
    }

    /// <summary>Kills the process (if running) and releases the <see cref="Process"/> object; for disposal.</summary>
    private protected async Task KillAndReleaseAsync()
    {
        await KillAsync(CancellationToken.None).ConfigureAwait(false);
        lock (gate)
        {
            released = true;
            process?.Dispose();
            process = null;
            paused = false;
        }
    }

    private Process? CurrentProcess()
    {
        lock (gate)
        {
            return process;
        }
    }

    private void SignalIfRunning(Process p, int signal)
    {
        lock (gate)
        {
            // While not reaped (HasExited false) the PID cannot have been reused: it is still our child.
            if (!p.HasExited)
            {
                Native.SendSignal(p.Id, signal);
            }

            if (signal == Native.SIGCONT || signal == Native.SIGKILL)
            {
                paused = false;
            }
        }
    }

    private async Task WaitForExitAsync(Process p, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{DisplayName} (pid {p.Id}) did not exit within {timeout.TotalSeconds:0.#} s.");
        }

        TestDirectories.UnregisterProcess(p);
    }

    [GeneratedRegex(@"^Mode:\s*(\S+)", RegexOptions.Multiline)]
    private static partial Regex ModeRegex();

    [GeneratedRegex(@"sid=0x([0-9a-fA-F]+)")]
    private static partial Regex SessionIdRegex();
}
