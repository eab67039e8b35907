using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Benchmarks.Storage;

/// <summary>
/// A throw-away redis-server on loopback for the <c>storage</c> benchmark, started as in
/// /work/shared/docs/zookeeper-server.md: <c>--bind 127.0.0.1</c>, a free port, no persistence
/// (<c>--save '' --appendonly no</c>), daemonized with its pid file, log and working directory in a temp dir.
/// Dispose stops exactly that PID (SIGTERM, then SIGKILL after 5 s; only after checking /proc/PID/cmdline is our redis-server) and deletes the temp dir.
/// If redis-server is not on PATH, <c>scripts/install-redis.sh</c> (copied next to the program) installs Debian's package.
/// </summary>
internal sealed class LocalRedisServer : IAsyncDisposable
{
    private readonly string _dir;
    private int _pid;

    private LocalRedisServer(string executable, string version, int port, string dir)
    {
        Executable = executable;
        Version = version;
        Port = port;
        _dir = dir;
    }

    public string Executable { get; }

    public string Version { get; }

    public int Port { get; }

    public int Pid => _pid;

    public string EndPoint => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public static async Task<LocalRedisServer> StartAsync(CancellationToken ct)
    {
        var executable = FindOnPath("redis-server") ?? await InstallAsync(ct).ConfigureAwait(false);
        var version = (await RunAsync(executable, ["--version"], ct).ConfigureAwait(false)).Output.Trim();
        var dir = Directory.CreateTempSubdirectory("redis-bench-").FullName;
        var server = new LocalRedisServer(executable, version, FreePort.Next(), dir);
        try
        {
            await server.StartCoreAsync(ct).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        var pidFile = Path.Combine(_dir, "redis.pid");
        if (_pid == 0 && File.Exists(pidFile))
        {
            // Started but never confirmed ready: the daemon may still have written its pid file.
            _pid = TryReadPid(pidFile);
        }

        if (_pid > 0 && IsOurRedis(_pid))
        {
            await KillAsync(_pid, "TERM").ConfigureAwait(false);
            var sw = Stopwatch.StartNew();
            while (IsAlive(_pid) && sw.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
            }

            if (IsAlive(_pid) && IsOurRedis(_pid))
            {
                await KillAsync(_pid, "KILL").ConfigureAwait(false);
            }
        }

        _pid = 0;
        JavaSelfTest.TryDeleteDirectory(_dir);
    }

    /// <summary>CPU time (user + system) of the server process so far, from /proc/PID/stat; zero if unreadable.</summary>
    public TimeSpan CpuTime() => ProcCpu.Of(_pid);

    private async Task StartCoreAsync(CancellationToken ct)
    {
        var pidFile = Path.Combine(_dir, "redis.pid");
        string[] args =
        [
            "--port", Port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "yes",
            "--pidfile", pidFile,
            "--dir", _dir,
            "--logfile", Path.Combine(_dir, "redis.log"),
        ];
        var (exit, output) = await RunAsync(Executable, args, ct).ConfigureAwait(false);
        if (exit != 0)
        {
            throw new InvalidOperationException($"redis-server exited with {exit}: {output}{LogTail()}");
        }

        // The daemon writes its pid file and then serves; wait for both (PING → +PONG).
        var sw = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (_pid == 0 && File.Exists(pidFile))
            {
                _pid = TryReadPid(pidFile);
            }

            if (_pid > 0 && await PingAsync(ct).ConfigureAwait(false))
            {
                return;
            }

            if (sw.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw new TimeoutException($"redis-server on {EndPoint} did not answer PING within 15 s (pid file {(File.Exists(pidFile) ? "present" : "missing")}).{LogTail()}");
            }

            await Task.Delay(50, ct).ConfigureAwait(false);
        }
    }

    private async Task<bool> PingAsync(CancellationToken ct)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            await socket.ConnectAsync(System.Net.IPAddress.Loopback, Port, timeout.Token).ConfigureAwait(false);
            await socket.SendAsync("PING\r\n"u8.ToArray(), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            var buffer = new byte[64];
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
            return Encoding.ASCII.GetString(buffer, 0, n).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private string LogTail()
    {
        try
        {
            var log = Path.Combine(_dir, "redis.log");
            return File.Exists(log) ? Environment.NewLine + "redis.log: " + string.Join(Environment.NewLine, File.ReadLines(log).TakeLast(10)) : string.Empty;
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>Our daemon: the process behind the pid file is redis-server and serves our port.</summary>
    private bool IsOurRedis(int pid)
    {
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Replace('\0', ' ');
            return cmdline.Contains("redis-server", StringComparison.Ordinal)
                && cmdline.Contains(":" + Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            // A zombie is gone for our purpose (the daemon is re-parented to init, which reaps it).
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return false;
        }
    }

    private static int TryReadPid(string pidFile)
    {
        try
        {
            return int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
                     .Concat(["/usr/bin", "/usr/sbin"]))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static async Task<string> InstallAsync(CancellationToken ct)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "scripts", "install-redis.sh");
        Console.WriteLine($"redis-server not found; running {script} (apt-get install -y redis-server) ...");
        var (exit, output) = await RunAsync("bash", [script], ct).ConfigureAwait(false);
        Console.WriteLine(output.TrimEnd());
        if (exit != 0)
        {
            throw new InvalidOperationException($"{script} failed with exit code {exit}; install redis-server (Debian package redis-server) and run again.");
        }

        return FindOnPath("redis-server") ?? throw new InvalidOperationException("redis-server is still not on PATH after installing it.");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }

    /// <summary>Sends a signal to exactly one PID (/bin/kill; no unsafe code needed in this project).</summary>
    private static async Task KillAsync(int pid, string signal)
    {
        try
        {
            _ = await RunAsync("kill", ["-s", signal, pid.ToString(CultureInfo.InvariantCulture)], CancellationToken.None).ConfigureAwait(false);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            if (signal == "KILL")
            {
                using var p = Process.GetProcessById(pid);
                p.Kill();
            }
        }
    }
}

/// <summary>CPU time of another process from /proc/PID/stat (utime + stime, in clock ticks of 10 ms).</summary>
internal static class ProcCpu
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public static TimeSpan Of(int pid)
    {
        if (pid <= 0)
        {
            return TimeSpan.Zero;
        }

        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / TicksPerSecond);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return TimeSpan.Zero;
        }
    }

    /// <summary>Summed CPU time of several processes.</summary>
    public static TimeSpan Of(IEnumerable<int> pids) => pids.Aggregate(TimeSpan.Zero, (sum, pid) => sum + Of(pid));

    /// <summary>Whole-host CPU counters from the first line of /proc/stat (all cores); default if unreadable.</summary>
    public static HostTicks Host()
    {
        try
        {
            // cpu  user nice system idle iowait irq softirq steal (guest time is already in user)
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var v = cpu.Skip(1).Take(8).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            var total = v.Sum();
            return new HostTicks(total, total - v[3] - v[4]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or InvalidOperationException)
        {
            return default;
        }
    }
}

/// <summary>Host CPU ticks: total and busy (not idle/iowait), summed over all cores.</summary>
internal readonly record struct HostTicks(long Total, long Busy)
{
    /// <summary>Busy share of all cores, 100 = every core busy.</summary>
    public double BusyPercent => Total > 0 ? 100.0 * Busy / Total : double.NaN;

    public static HostTicks operator -(HostTicks a, HostTicks b) => new(a.Total - b.Total, a.Busy - b.Busy);
}
