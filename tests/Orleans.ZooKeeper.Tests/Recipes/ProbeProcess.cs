using System.Diagnostics;
using System.Globalization;

namespace Orleans.ZooKeeper.Tests.Recipes;

/// <summary>
/// One tests/Orleans.ZooKeeper.RecipeProbe process: it contends in an election or for a lock and logs its claims
/// (see that program). The test kills it by PID (SIGKILL), freezes it (SIGSTOP) and thaws it (SIGCONT).
/// </summary>
internal sealed class ProbeProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ProbeProcess(Process process, int index, string logPath)
    {
        _process = process;
        Index = index;
        LogPath = logPath;
    }

    public int Index { get; }

    public int Pid => _process.Id;

    public string LogPath { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts a probe; <paramref name="mode"/> is "election" or "lock".</summary>
    public static ProbeProcess Start(int index, string mode, string servers, string basePath, string scope, TimeSpan sessionTimeout, string logDirectory, string policy = "giveup", int holdMs = 0)
    {
        var logPath = Path.Combine(logDirectory, $"probe-{index}.log");
        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[]
        {
            ProbeAssembly(), mode, servers, basePath, scope, ((int)sessionTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            logPath, policy, Environment.ProcessId.ToString(CultureInfo.InvariantCulture), holdMs.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the probe");
        var stderr = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return new ProbeProcess(process, index, logPath);
    }

    /// <summary>The log's lines so far.</summary>
    public string[] Lines()
    {
        if (!File.Exists(LogPath))
        {
            return [];
        }

        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // A line still being written (no newline yet) is left for the next read.
        return text.EndsWith('\n') || lines.Length == 0 ? lines : lines[..^1];
    }

    /// <summary>SIGKILL, and wait until it is gone.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGSTOP: the process keeps its sockets but runs nothing (a very long GC pause).</summary>
    public void Freeze() => Signal("STOP");

    /// <summary>SIGCONT.</summary>
    public void Thaw() => Signal("CONT");

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Signal("CONT");
            _process.Kill();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
    }

    private void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, Pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit(10_000);
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {Pid} failed ({kill.ExitCode})");
        }
    }

    private static string DotnetHost()
        => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>tests/Orleans.ZooKeeper.RecipeProbe/bin/{configuration}/{framework}/ (built before this project, see its csproj).</summary>
    private static string ProbeAssembly()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = output.Name;
        var configuration = output.Parent!.Name;
        var tests = output.Parent.Parent!.Parent!.Parent!.FullName;
        var probe = Path.Combine(tests, "Orleans.ZooKeeper.RecipeProbe", "bin", configuration, framework, "Orleans.ZooKeeper.RecipeProbe.dll");
        return File.Exists(probe) ? probe : throw new FileNotFoundException($"The recipe probe is not built: {probe}");
    }
}
