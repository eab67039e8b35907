using System.Diagnostics;
using System.Globalization;

namespace Orleans.ZooKeeper.Testing;

/// <summary>
/// Per-instance temp directories under <c>{temp}/orleans-zk-tests/</c> and the process-exit safety net that
/// kills every server process started by this process.
/// </summary>
internal static class TestDirectories
{
    private const string OwnerFileName = ".owner";
    private static readonly object Gate = new();
    private static readonly HashSet<Process> Processes = [];
    private static readonly HashSet<string> Directories = new(StringComparer.Ordinal);
    private static bool initialized;

    internal static string Root { get; } = Path.Combine(Path.GetTempPath(), "orleans-zk-tests");

    /// <summary>Creates a fresh directory for one server or ensemble, owned by this process.</summary>
    internal static string CreateInstanceDirectory()
    {
        EnsureInitialized();
        string dir = Path.Combine(Root, Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, OwnerFileName), Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        lock (Gate)
        {
            Directories.Add(dir);
        }

        return dir;
    }

    internal static void RegisterProcess(Process process)
    {
        lock (Gate)
        {
            Processes.Add(process);
        }
    }

    internal static void UnregisterProcess(Process process)
    {
        lock (Gate)
        {
            Processes.Remove(process);
        }
    }

    /// <summary>Deletes an instance directory (retrying briefly) and forgets it.</summary>
    internal static async Task DeleteInstanceDirectoryAsync(string dir)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: true);
                }

                break;
            }
            catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && attempt < 20)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }
        }

        lock (Gate)
        {
            Directories.Remove(dir);
        }
    }

    private static void EnsureInitialized()
    {
        lock (Gate)
        {
            if (initialized)
            {
                return;
            }

            initialized = true;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => KillEverything();
            Directory.CreateDirectory(Root);
            try
            {
                SweepStaleInstances();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort only.
            }
        }
    }

    private static void KillEverything()
    {
        Process[] processes;
        string[] dirs;
        lock (Gate)
        {
            processes = [.. Processes];
            dirs = [.. Directories];
            Processes.Clear();
        }

        foreach (Process process in processes)
        {
            try
            {
                // Not yet reaped means the PID is still ours (a zombie keeps it).
                if (!process.HasExited)
                {
                    Native.SendSignal(process.Id, Native.SIGKILL);
                    process.WaitForExit(5000);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }
        }

        foreach (string dir in dirs)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>
    /// Cleans up after test runs that died without running their exit handler (e.g. SIGKILLed test hosts):
    /// an instance directory whose owner process is gone is deleted, after killing the java processes whose
    /// command line names a file inside that directory (only the harness starts such processes).
    /// </summary>
    private static void SweepStaleInstances()
    {
        if (!Directory.Exists("/proc/self"))
        {
            return;
        }

        foreach (string dir in Directory.EnumerateDirectories(Root))
        {
            if (Path.GetFileName(dir).StartsWith('.'))
            {
                continue;
            }

            string ownerFile = Path.Combine(dir, OwnerFileName);
            if (File.Exists(ownerFile))
            {
                if (int.TryParse(File.ReadAllText(ownerFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int owner)
                    && Directory.Exists("/proc/" + owner.ToString(CultureInfo.InvariantCulture)))
                {
                    continue;
                }
            }
            else if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(dir) < TimeSpan.FromMinutes(10))
            {
                continue;
            }

            foreach (int pid in FindProcessesReferencing(dir + "/"))
            {
                try
                {
                    Native.SendSignal(pid, Native.SIGKILL);
                }
                catch (InvalidOperationException)
                {
                }
            }

            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private static List<int> FindProcessesReferencing(string pathPrefix)
    {
        var result = new List<int>();
        foreach (string procDir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(procDir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                string cmdline = File.ReadAllText(Path.Combine(procDir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains("org.apache.zookeeper.server", StringComparison.Ordinal)
                    && cmdline.Contains(pathPrefix, StringComparison.Ordinal))
                {
                    result.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Process gone meanwhile.
            }
        }

        return result;
    }
}
