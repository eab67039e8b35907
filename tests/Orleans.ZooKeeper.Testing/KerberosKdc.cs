using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Orleans.ZooKeeper.Testing;

/// <summary>
/// A throwaway MIT Kerberos KDC (Debian's <c>krb5-kdc</c>, installed by <see cref="InstallScript"/>) for realm
/// <see cref="Realm"/> on a free loopback TCP port, with its database, configuration and keytabs in its own directory:
/// the service principal <c>zookeeper/localhost</c> (keytab <see cref="ServerKeytab"/>) and users with passwords and
/// keytabs. <see cref="UseInThisProcess"/> points this process's Kerberos library at it (<c>KRB5_CONFIG</c> through
/// libc's <c>setenv</c>, which the native library reads). Ends its <c>krb5kdc</c> process (by PID) on dispose.
/// </summary>
public sealed partial class KerberosKdc : IAsyncDisposable
{
    /// <summary>The realm.</summary>
    public const string Realm = "EXAMPLE.TEST";

    /// <summary>The ZooKeeper service principal the KDC knows (host part <c>localhost</c>).</summary>
    public const string ServicePrincipal = "zookeeper/localhost";

    /// <summary>The script (relative to the repository root) that installs the KDC and the client tools.</summary>
    public const string InstallScript = "scripts/install-kerberos.sh";

    private readonly Process _process;

    private KerberosKdc(string directory, int port, Process process)
    {
        DirectoryPath = directory;
        Port = port;
        _process = process;
    }

    /// <summary>The KDC's directory (database, configuration, keytabs, log).</summary>
    public string DirectoryPath { get; }

    /// <summary>The KDC's TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The client configuration (<c>krb5.conf</c>) naming this KDC.</summary>
    public string Krb5ConfPath => Path.Combine(DirectoryPath, "krb5.conf");

    /// <summary>The keytab of <see cref="ServicePrincipal"/>.</summary>
    public string ServerKeytab => Path.Combine(DirectoryPath, "zookeeper.keytab");

    /// <summary>The keytab of <paramref name="user"/> (made by <see cref="StartAsync"/>).</summary>
    public string KeytabOf(string user) => Path.Combine(DirectoryPath, user + ".keytab");

    /// <summary>Creates the realm with the service principal and <paramref name="users"/> (name → password), and starts the KDC.</summary>
    public static async Task<KerberosKdc> StartAsync(IReadOnlyDictionary<string, string> users, CancellationToken cancellationToken = default)
    {
        foreach (var tool in new[] { "/usr/sbin/krb5kdc", "/usr/sbin/kdb5_util", "/usr/sbin/kadmin.local" })
        {
            if (!File.Exists(tool))
            {
                throw new InvalidOperationException($"{tool} is missing: run {InstallScript} (Debian packages krb5-kdc, krb5-admin-server, krb5-user).");
            }
        }

        var directory = TestDirectories.CreateInstanceDirectory();
        var port = FreePort.Next();
        var p = port.ToString(CultureInfo.InvariantCulture);
        File.WriteAllText(Path.Combine(directory, "krb5.conf"), $$"""
            [libdefaults]
              default_realm = {{Realm}}
              dns_lookup_kdc = false
              dns_lookup_realm = false
              rdns = false
              dns_canonicalize_hostname = false
              udp_preference_limit = 1
            [realms]
              {{Realm}} = {
                kdc = 127.0.0.1:{{p}}
              }
            [domain_realm]
              localhost = {{Realm}}
            """);
        File.WriteAllText(Path.Combine(directory, "kdc.conf"), $$"""
            [kdcdefaults]
              kdc_ports = {{p}}
              kdc_tcp_ports = {{p}}
              kdc_listen = 127.0.0.1:{{p}}
              kdc_tcp_listen = 127.0.0.1:{{p}}
            [realms]
              {{Realm}} = {
                database_name = {{directory}}/principal
                key_stash_file = {{directory}}/stash
                acl_file = {{directory}}/kadm5.acl
                max_life = 1h
              }
            [logging]
              kdc = FILE:{{directory}}/kdc.log
            """);

        await RunToolAsync(directory, "/usr/sbin/kdb5_util", ["create", "-s", "-r", Realm, "-P", "master-" + Guid.NewGuid().ToString("N")], cancellationToken).ConfigureAwait(false);
        await RunToolAsync(directory, "/usr/sbin/kadmin.local", ["-q", $"addprinc -randkey {ServicePrincipal}"], cancellationToken).ConfigureAwait(false);
        await RunToolAsync(directory, "/usr/sbin/kadmin.local", ["-q", $"ktadd -k {directory}/zookeeper.keytab {ServicePrincipal}"], cancellationToken).ConfigureAwait(false);
        foreach (var (user, password) in users)
        {
            await RunToolAsync(directory, "/usr/sbin/kadmin.local", ["-q", $"addprinc -pw {password} {user}"], cancellationToken).ConfigureAwait(false);
            await RunToolAsync(directory, "/usr/sbin/kadmin.local", ["-q", $"ktadd -norandkey -k {directory}/{user}.keytab {user}"], cancellationToken).ConfigureAwait(false);
        }

        var start = Start(directory, "/usr/sbin/krb5kdc", ["-n", "-P", Path.Combine(directory, "kdc.pid")]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = Process.Start(start) ?? throw new InvalidOperationException("krb5kdc did not start");
        TestDirectories.RegisterProcess(process);
        var kdc = new KerberosKdc(directory, port, process);
        try
        {
            await TestWait.UntilAsync(
                () => kdc.IsListening() || process.HasExited,
                TimeSpan.FromSeconds(20),
                "the KDC listens").ConfigureAwait(false);
            if (process.HasExited)
            {
                throw new InvalidOperationException($"krb5kdc exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false)}");
            }
        }
        catch
        {
            await kdc.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return kdc;
    }

    /// <summary>
    /// Points this process's native Kerberos library at this KDC (<c>KRB5_CONFIG</c>) and gives it an empty in-memory
    /// ticket cache (<c>KRB5CCNAME</c>), through libc's environment, which .NET's own environment does not reach.
    /// Call before the first Kerberos use in the process.
    /// </summary>
    public void UseInThisProcess()
    {
        SetNativeEnvironment("KRB5_CONFIG", Krb5ConfPath);
        SetNativeEnvironment("KRB5CCNAME", "MEMORY:orleans-zk-tests");
    }

    /// <summary>Sets <paramref name="name"/> in the C library's environment (seen by native code calling getenv).</summary>
    public static void SetNativeEnvironment(string name, string? value)
    {
        var rc = value is null ? UnsetEnv(name) : SetEnv(name, value, 1);
        if (rc != 0)
        {
            throw new InvalidOperationException($"setenv({name}) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        TestDirectories.UnregisterProcess(_process);
        _process.Dispose();
        await TestDirectories.DeleteInstanceDirectoryAsync(DirectoryPath).ConfigureAwait(false);
    }

    private bool IsListening()
    {
        try
        {
            using var socket = new System.Net.Sockets.TcpClient();
            socket.Connect(System.Net.IPAddress.Loopback, Port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static ProcessStartInfo Start(string directory, string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["KRB5_CONFIG"] = Path.Combine(directory, "krb5.conf");
        start.Environment["KRB5_KDC_PROFILE"] = Path.Combine(directory, "kdc.conf");
        return start;
    }

    private static async Task RunToolAsync(string directory, string file, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = Start(directory, file, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', start.ArgumentList)} exited with {process.ExitCode}: {await output.ConfigureAwait(false)} {await error.ConfigureAwait(false)}");
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SetEnv(string name, string value, int overwrite);

    [LibraryImport("libc", EntryPoint = "unsetenv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int UnsetEnv(string name);
}
