using System.Diagnostics;
using System.Globalization;
using System.Text;
using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Benchmarks.JavaClient;

/// <summary>One timed run of the Java reference client.</summary>
/// <param name="Op">create, setData or getData.</param>
/// <param name="Mode">pipelined or sync.</param>
/// <param name="Count">Number of operations in the timed section.</param>
/// <param name="Elapsed">Wall time of the timed section (System.nanoTime).</param>
/// <param name="Cpu">CPU time of the whole Java process (all threads, incl. JIT/GC) over the timed section.</param>
/// <param name="Errors">Operations that completed with a non-zero result code.</param>
public sealed record JavaRunResult(string Op, string Mode, int Count, TimeSpan Elapsed, TimeSpan Cpu, int Errors)
{
    /// <summary>Operations per second of wall time.</summary>
    public double OpsPerSecond => Elapsed > TimeSpan.Zero ? Count / Elapsed.TotalSeconds : double.NaN;

    /// <summary>Java process CPU microseconds per operation.</summary>
    public double CpuMicrosPerOp => Count > 0 ? Cpu.TotalMicroseconds / Count : double.NaN;
}

/// <summary>
/// TLS settings of the Java reference client: it then connects with ZooKeeper's Netty socket
/// (<c>zookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty</c>, <c>zookeeper.client.secure=true</c>)
/// to a server's secure port (<see cref="ZooKeeperServerProcess.SecureConnectString"/>). It verifies the server's host
/// name (127.0.0.1 must be in the certificate's SAN, as in <see cref="TestCertificates.Server"/>).
/// </summary>
/// <param name="TrustStorePemPath">CA certificate(s) as PEM (<c>zookeeper.ssl.trustStore.location</c>, type PEM), e.g. <see cref="TestCertificates.Ca"/>.</param>
public sealed record JavaClientTlsOptions(string TrustStorePemPath)
{
    /// <summary>
    /// Key and certificate chain as one PEM file (<c>zookeeper.ssl.keyStore.location</c>, type PEM) for servers with
    /// client auth, e.g. <see cref="TestLeafCertificate.KeyStorePemPath"/> of <see cref="TestCertificates.Client"/>; null for none.
    /// </summary>
    public string? KeyStorePemPath { get; init; }

    /// <summary><c>zookeeper.ssl.keyStore.password</c> for an encrypted key (not PBES2: ZooKeeper 3.8 cannot read it); null for none.</summary>
    public string? KeyStorePassword { get; init; }

    /// <summary>
    /// TLS versions the client offers (<c>zookeeper.ssl.protocol</c>, <c>zookeeper.ssl.enabledProtocols</c>, and the
    /// harness's cipher suites for them as <c>zookeeper.ssl.ciphersuites</c>); default TLS 1.2, the Java client's default.
    /// </summary>
    public ZooKeeperTlsProtocols Protocols { get; init; } = ZooKeeperTlsProtocols.Tls12;

    /// <summary>The <c>-D</c> JVM arguments for these settings.</summary>
    public IReadOnlyList<string> ToJvmArguments()
    {
        var args = new List<string>
        {
            "-Dzookeeper.client.secure=true",
            "-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty",
            "-Dzookeeper.ssl.trustStore.location=" + Path.GetFullPath(TrustStorePemPath),
            "-Dzookeeper.ssl.trustStore.type=PEM",
            "-Dzookeeper.ssl.protocol=" + (Protocols.HasFlag(ZooKeeperTlsProtocols.Tls13) ? "TLSv1.3" : "TLSv1.2"),
            "-Dzookeeper.ssl.enabledProtocols=" + ZooKeeperServerTlsOptions.GetProtocolNames(Protocols),
            "-Dzookeeper.ssl.ciphersuites=" + string.Join(',', ZooKeeperServerTlsOptions.GetDefaultCipherSuites(Protocols)),
        };
        if (KeyStorePemPath is not null)
        {
            args.Add("-Dzookeeper.ssl.keyStore.location=" + Path.GetFullPath(KeyStorePemPath));
            args.Add("-Dzookeeper.ssl.keyStore.type=PEM");
        }

        if (KeyStorePassword is not null)
        {
            args.Add("-Dzookeeper.ssl.keyStore.password=" + KeyStorePassword);
        }

        return args;
    }
}

/// <summary>The Java reference client failed, answered with an error, or its process died.</summary>
public sealed class JavaReferenceClientException : Exception
{
    /// <summary>Creates the exception.</summary>
    public JavaReferenceClientException(string message) : base(message) { }

    /// <summary>Creates the exception with an inner exception.</summary>
    public JavaReferenceClientException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// Drives the official Java ZooKeeper client (java/ZkJavaBench.java) in a child JVM over stdin/stdout.
/// One command at a time; every method is serialized. Start with <see cref="StartAsync(string, int, string, CancellationToken)"/>.
/// </summary>
/// <remarks>
/// Requires javac/java (JAVA_HOME/bin or PATH) and Debian's zookeeper package
/// (/usr/share/java/zookeeper.jar, /usr/share/java/slf4j-nop.jar; with TLS also
/// <see cref="ZooKeeperInstallation.NettyTlsJars"/>).
/// A cancelled command leaves the line protocol out of step, so cancellation kills the JVM and
/// the client is unusable afterwards.
/// </remarks>
public sealed class JavaReferenceClient : IAsyncDisposable
{
    /// <summary>The official client jar; its manifest Class-Path pulls in jute, netty, slf4j-api etc.</summary>
    public const string ZooKeeperJar = "/usr/share/java/zookeeper.jar";

    /// <summary>slf4j binding that silences the client's logging.</summary>
    public const string Slf4jNopJar = "/usr/share/java/slf4j-nop.jar";

    private const string JavaFileName = "ZkJavaBench.java";
    private const string MainClass = "ZkJavaBench";
    private const int StderrTailLines = 40;
    private static readonly TimeSpan CompileTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan QuitTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Queue<string> _stderrTail = new();
    private bool _broken;
    private bool _disposed;

    private JavaReferenceClient(Process process, JavaClientTlsOptions? tls)
    {
        _process = process;
        Tls = tls;
    }

    /// <summary>Operating-system id of the JVM process.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Session id reported after connecting, e.g. "0x100000abc0000".</summary>
    public string SessionId { get; private set; } = "";

    /// <summary>The TLS settings the client was started with; null for a plain connection (NIO socket, the Java default).</summary>
    public JavaClientTlsOptions? Tls { get; }

    /// <summary>
    /// Compiles ZkJavaBench.java into <paramref name="workDir"/>/java-classes, starts the JVM and connects
    /// it to <paramref name="connectString"/> (waits up to 30 s for SyncConnected).
    /// </summary>
    public static Task<JavaReferenceClient> StartAsync(string connectString, int sessionTimeoutMs, string workDir, CancellationToken ct) =>
        StartAsync(connectString, sessionTimeoutMs, workDir, tls: null, ct);

    /// <summary>
    /// As <see cref="StartAsync(string, int, string, CancellationToken)"/>; with <paramref name="tls"/> the client connects
    /// over TLS (Netty socket), so <paramref name="connectString"/> must name secure ports.
    /// </summary>
    public static async Task<JavaReferenceClient> StartAsync(
        string connectString,
        int sessionTimeoutMs,
        string workDir,
        JavaClientTlsOptions? tls,
        CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectString);
        ArgumentException.ThrowIfNullOrWhiteSpace(workDir);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sessionTimeoutMs);
        EnsureNoWhitespace(connectString, nameof(connectString));
        var jars = new List<string> { ZooKeeperJar, Slf4jNopJar };
        if (tls is not null)
        {
            jars.AddRange(ZooKeeperInstallation.NettyTlsJars);
            foreach (var file in new[] { tls.TrustStorePemPath, tls.KeyStorePemPath })
            {
                if (file is not null && !File.Exists(file))
                {
                    throw new JavaReferenceClientException($"TLS store {file} not found.");
                }
            }
        }

        foreach (var jar in jars)
        {
            if (!File.Exists(jar))
            {
                throw new JavaReferenceClientException($"{jar} not found (apt-get install -y zookeeper).");
            }
        }

        var source = FindJavaSource();
        var classesDir = Path.Combine(Path.GetFullPath(workDir), "java-classes");
        Directory.CreateDirectory(classesDir);
        await CompileAsync(source, classesDir, ct).ConfigureAwait(false);

        var psi = new ProcessStartInfo(JavaTool("java"))
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = classesDir,
        };
        psi.ArgumentList.Add("-Xmx512m");
        foreach (var arg in tls?.ToJvmArguments() ?? [])
        {
            psi.ArgumentList.Add(arg);
        }

        psi.ArgumentList.Add("-cp");
        psi.ArgumentList.Add(string.Join(':', jars.Prepend(classesDir)));
        psi.ArgumentList.Add(MainClass);

        var process = new Process { StartInfo = psi };
        var client = new JavaReferenceClient(process, tls);
        process.ErrorDataReceived += (_, e) => client.OnStderr(e.Data);
        if (!process.Start())
        {
            throw new JavaReferenceClientException("could not start java");
        }

        process.BeginErrorReadLine();
        try
        {
            var reply = await client.CommandAsync(
                $"connect {connectString} {sessionTimeoutMs.ToString(CultureInfo.InvariantCulture)}", ct).ConfigureAwait(false);
            const string prefix = "ok connected ";
            if (!reply.StartsWith(prefix, StringComparison.Ordinal))
            {
                throw client.Failure($"unexpected reply to connect: '{reply}'");
            }

            client.SessionId = reply[prefix.Length..].Trim();
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Runs one timed batch: <paramref name="op"/> is create|setData|getData, <paramref name="mode"/> is
    /// pipelined (all async calls issued, then wait for all callbacks) or sync (blocking calls one after another).
    /// setData/getData target <paramref name="basePath"/>/n{i % 1000} (created untimed with the payload);
    /// create makes <paramref name="basePath"/>/c{runId}-{i}.
    /// </summary>
    public async Task<JavaRunResult> RunAsync(string op, string mode, int count, int payloadBytes, string basePath, CancellationToken ct)
    {
        if (op is not ("create" or "setData" or "getData"))
        {
            throw new ArgumentException("op must be create, setData or getData", nameof(op));
        }

        if (mode is not ("pipelined" or "sync"))
        {
            throw new ArgumentException("mode must be pipelined or sync", nameof(mode));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegative(payloadBytes);
        CheckBasePath(basePath);

        var command = string.Create(CultureInfo.InvariantCulture, $"run {op} {mode} {count} {payloadBytes} {basePath}");
        var reply = await CommandAsync(command, ct).ConfigureAwait(false);
        var parts = reply.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 7 || parts[0] != "result"
            || !int.TryParse(parts[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            || !long.TryParse(parts[4], NumberStyles.Integer, CultureInfo.InvariantCulture, out var elapsedNanos)
            || !long.TryParse(parts[5], NumberStyles.Integer, CultureInfo.InvariantCulture, out var cpuNanos)
            || !int.TryParse(parts[6], NumberStyles.Integer, CultureInfo.InvariantCulture, out var errors))
        {
            throw Failure($"unexpected reply to '{command}': '{reply}'");
        }

        return new JavaRunResult(parts[1], parts[2], n, FromNanos(elapsedNanos), FromNanos(cpuNanos), errors);
    }

    /// <summary>Deletes <paramref name="basePath"/> and everything below it.</summary>
    public async Task CleanupAsync(string basePath, CancellationToken ct = default)
    {
        CheckBasePath(basePath);
        if (basePath == "/")
        {
            throw new ArgumentException("refusing to delete '/'", nameof(basePath));
        }

        var reply = await CommandAsync($"cleanup {basePath}", ct).ConfigureAwait(false);
        if (reply != "ok")
        {
            throw Failure($"unexpected reply to cleanup: '{reply}'");
        }
    }

    /// <summary>Sends quit (closes the session), waits up to 10 s for the JVM to exit, then kills that process.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (!HasExited())
            {
                if (_broken)
                {
                    Kill();
                }
                else
                {
                    try
                    {
                        await _process.StandardInput.WriteAsync("quit\n").ConfigureAwait(false);
                        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
                        _process.StandardInput.Close();
                    }
                    catch (IOException)
                    {
                        // The JVM is already gone or closing.
                    }
                }

                using var timeout = new CancellationTokenSource(QuitTimeout);
                try
                {
                    await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    Kill();
                    using var afterKill = new CancellationTokenSource(QuitTimeout);
                    try
                    {
                        await _process.WaitForExitAsync(afterKill.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        // Nothing more we can do; the process is not ours to chase further.
                    }
                }
            }
        }
        finally
        {
            _process.Dispose();
            _gate.Dispose();
        }
    }

    private async Task<string> CommandAsync(string command, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_broken)
            {
                throw new JavaReferenceClientException("the Java client is unusable after an earlier cancellation or failure");
            }

            if (HasExited())
            {
                throw await DiedAsync(command).ConfigureAwait(false);
            }

            string? line;
            try
            {
                await _process.StandardInput.WriteAsync(command + "\n").ConfigureAwait(false);
                await _process.StandardInput.FlushAsync(ct).ConfigureAwait(false);
                line = await _process.StandardOutput.ReadLineAsync(ct).AsTask().WaitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The reply may still arrive later: the protocol is out of step, so stop the JVM.
                _broken = true;
                Kill();
                throw;
            }
            catch (IOException e)
            {
                throw await DiedAsync(command, e).ConfigureAwait(false);
            }

            if (line is null)
            {
                throw await DiedAsync(command).ConfigureAwait(false);
            }

            if (line.StartsWith("error", StringComparison.Ordinal))
            {
                throw Failure($"'{command}' failed: {line[Math.Min(line.Length, 6)..]}");
            }

            return line;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<JavaReferenceClientException> DiedAsync(string command, Exception? inner = null)
    {
        _broken = true;
        string exit;
        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                // Also drains the redirected stderr so the tail below is complete.
                await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
                exit = "exit code " + _process.ExitCode.ToString(CultureInfo.InvariantCulture);
            }
            catch (OperationCanceledException)
            {
                Kill();
                exit = "stdout closed, process killed";
            }
        }

        var message = $"Java client process {_process.Id} died during '{command}' ({exit}).{StderrTail()}";
        return inner is null ? new JavaReferenceClientException(message) : new JavaReferenceClientException(message, inner);
    }

    private JavaReferenceClientException Failure(string message) => new(message + StderrTail());

    private void OnStderr(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_stderrTail)
        {
            _stderrTail.Enqueue(line);
            while (_stderrTail.Count > StderrTailLines)
            {
                _stderrTail.Dequeue();
            }
        }
    }

    private string StderrTail()
    {
        lock (_stderrTail)
        {
            return _stderrTail.Count == 0 ? "" : Environment.NewLine + "java stderr (tail):" + Environment.NewLine + string.Join(Environment.NewLine, _stderrTail);
        }
    }

    private bool HasExited()
    {
        try
        {
            return _process.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    /// <summary>Kills exactly the JVM this client started (by its process id, not its tree or name).</summary>
    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: false);
            }
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Exited between the check and the kill.
        }
    }

    private static TimeSpan FromNanos(long nanos) => TimeSpan.FromTicks(nanos / (1_000_000_000 / TimeSpan.TicksPerSecond));

    private static void CheckBasePath(string basePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(basePath);
        EnsureNoWhitespace(basePath, nameof(basePath));
        if (!basePath.StartsWith('/') || (basePath.Length > 1 && basePath.EndsWith('/')))
        {
            throw new ArgumentException("basePath must be absolute and not end with '/'", nameof(basePath));
        }
    }

    private static void EnsureNoWhitespace(string value, string name)
    {
        if (value.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException("must not contain whitespace (line protocol)", name);
        }
    }

    private static string JavaTool(string name)
    {
        var javaHome = Environment.GetEnvironmentVariable("JAVA_HOME");
        if (!string.IsNullOrEmpty(javaHome))
        {
            var candidate = Path.Combine(javaHome, "bin", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return name; // from PATH
    }

    /// <summary>java/ZkJavaBench.java next to the app (copied by the csproj), else searched upward in the repo.</summary>
    private static string FindJavaSource()
    {
        var copied = Path.Combine(AppContext.BaseDirectory, "java", JavaFileName);
        if (File.Exists(copied))
        {
            return copied;
        }

        var relative = Path.Combine("tests", "Orleans.ZooKeeper.Benchmarks", "java", JavaFileName);
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(candidate))
                {
                    return candidate;
                }

                candidate = Path.Combine(dir.FullName, "java", JavaFileName);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new JavaReferenceClientException($"{JavaFileName} not found next to the app ({copied}) nor under {relative} above it.");
    }

    private static async Task CompileAsync(string source, string classesDir, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(JavaTool("javac"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add("-encoding");
        psi.ArgumentList.Add("UTF-8");
        psi.ArgumentList.Add("-cp");
        psi.ArgumentList.Add(ZooKeeperJar);
        psi.ArgumentList.Add("-d");
        psi.ArgumentList.Add(classesDir);
        psi.ArgumentList.Add(source);

        using var javac = Process.Start(psi) ?? throw new JavaReferenceClientException("could not start javac");
        var stdout = javac.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = javac.StandardError.ReadToEndAsync(CancellationToken.None);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(CompileTimeout);
        try
        {
            await javac.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try
            {
                javac.Kill(entireProcessTree: false);
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }

            ct.ThrowIfCancellationRequested();
            throw new JavaReferenceClientException($"javac did not finish within {CompileTimeout.TotalSeconds} s");
        }

        var output = (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false));
        if (javac.ExitCode != 0)
        {
            throw new JavaReferenceClientException($"javac failed (exit {javac.ExitCode}) for {source}:{Environment.NewLine}{output}");
        }
    }
}
