using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Orleans.Runtime;

namespace Orleans.Clustering.ZooKeeper.Tests.Cluster;

/// <summary>
/// A silo in a process of its own (tests/Orleans.Clustering.ZooKeeper.TestSilo), started with <c>dotnet</c> and
/// stopped with SIGKILL by PID, so that it dies the way a crashed machine's silo does. Every line it prints is kept.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloProcess(Process process, int siloPort, int gatewayPort)
    {
        _process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
    }

    public int Pid => _process.Id;

    public int SiloPort { get; }

    public int GatewayPort { get; }

    /// <summary>The silo's address (known once it printed READY).</summary>
    public SiloAddress Address { get; private set; } = null!;

    public bool HasExited => _process.HasExited;

    public IReadOnlyCollection<string> Lines => _lines;

    /// <summary>The session ids the silo's container reported, in order.</summary>
    public IReadOnlyList<long> Sessions => _lines
        .Where(l => l.StartsWith("STATE CONNECTED session=0x", StringComparison.Ordinal))
        .Select(l => long.Parse(l["STATE CONNECTED session=0x".Length..], NumberStyles.HexNumber, CultureInfo.InvariantCulture))
        .ToList();

    public static async Task<SiloProcess> StartAsync(IEnumerable<string> arguments, TimeSpan timeout)
    {
        var siloPort = FreePort.Next();
        var gatewayPort = FreePort.Next();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Orleans.Clustering.ZooKeeper.TestSilo.dll"));
        foreach (var argument in arguments.Concat([$"--silo-port={siloPort}", $"--gateway-port={gatewayPort}"]))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_gcServer"] = "0";
        start.Environment["DOTNET_TieredPGO"] = "0";
        start.Environment.Remove("ASAB_ZOOKEEPER_SERVERS");
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var silo = new SiloProcess(process, siloPort, gatewayPort);
        process.OutputDataReceived += (_, e) => silo.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => silo.OnLine(e.Data is null ? null : "stderr: " + e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var ready = await silo._ready.Task.WaitAsync(timeout);
            silo.Address = SiloAddress.FromParsableString(ready);
            return silo;
        }
        catch (Exception ex)
        {
            await silo.DisposeAsync();
            throw new InvalidOperationException($"The test silo (pid {process.Id}) did not become ready within {timeout.TotalSeconds:0} s: {ex.Message}. Its output:\n{string.Join('\n', silo._lines)}", ex);
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            _ready.TrySetException(new InvalidOperationException("the process ended"));
            return;
        }

        _lines.Enqueue(line);
        if (line.StartsWith("READY ", StringComparison.Ordinal))
        {
            _ready.TrySetResult(line["READY ".Length..]);
        }
    }

    /// <summary>SIGKILL (kill -9) by PID, and wait until the process is gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }

        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
    }

    public override string ToString() => $"silo {Address?.ToParsableString() ?? "?"} (pid {Pid})";
}
