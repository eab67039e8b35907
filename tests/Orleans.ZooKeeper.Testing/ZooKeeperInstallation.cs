namespace Orleans.ZooKeeper.Testing;

/// <summary>
/// Locates the Java runtime and the Apache ZooKeeper server jar (Debian's <c>zookeeper</c> package).
/// </summary>
public sealed class ZooKeeperInstallation
{
    /// <summary>Where Debian's <c>zookeeper</c> package puts the server jar.</summary>
    public const string DefaultZooKeeperJar = "/usr/share/java/zookeeper.jar";

    /// <summary>The script (relative to the repository root) that installs the server.</summary>
    public const string InstallScript = "scripts/install-zookeeper.sh";

    private static readonly string[] Slf4jBindings =
    [
        "/usr/share/java/slf4j-simple.jar",
        "/usr/share/java/slf4j-nop.jar",
    ];

    /// <summary>
    /// Netty jars that TLS (Netty's <c>SslHandler</c>) needs besides those in <c>zookeeper.jar</c>'s manifest
    /// Class-Path (Debian's 3.8.0 misses them: every TLS connection then fails with <c>NoClassDefFoundError</c>).
    /// Added to <see cref="TlsClassPath"/>; a Java client using <c>ClientCnxnSocketNetty</c> needs them too.
    /// </summary>
    public static readonly IReadOnlyList<string> NettyTlsJars =
    [
        "/usr/share/java/netty-codec.jar",
        "/usr/share/java/netty-resolver.jar",
        "/usr/share/java/netty-transport-native-unix-common.jar",
    ];

    private static readonly Lazy<ZooKeeperInstallation> DefaultInstance = new(() => Locate());

    private ZooKeeperInstallation(string javaPath, string zooKeeperJar, string? slf4jBindingJar)
    {
        JavaPath = javaPath;
        ZooKeeperJar = zooKeeperJar;
        Slf4jBindingJar = slf4jBindingJar;
        ClassPath = slf4jBindingJar is null ? zooKeeperJar : zooKeeperJar + ":" + slf4jBindingJar;
    }

    /// <summary>Full path of the <c>java</c> executable.</summary>
    public string JavaPath { get; }

    /// <summary>Full path of <c>zookeeper.jar</c> (its manifest Class-Path pulls in its dependencies).</summary>
    public string ZooKeeperJar { get; }

    /// <summary>The slf4j binding added to the class path (slf4j-simple preferred: logs go to the log file), if any.</summary>
    public string? Slf4jBindingJar { get; }

    /// <summary>The <c>-cp</c> value to start the server with.</summary>
    public string ClassPath { get; }

    /// <summary><see cref="ClassPath"/> plus <see cref="NettyTlsJars"/>: the <c>-cp</c> value of a server with TLS.</summary>
    public string TlsClassPath => ClassPath + ":" + string.Join(':', NettyTlsJars);

    /// <summary>
    /// The default installation (java from <c>JAVA_HOME</c> or <c>PATH</c>, <see cref="DefaultZooKeeperJar"/>),
    /// located once per process.
    /// </summary>
    /// <exception cref="InvalidOperationException">Java or ZooKeeper is not installed.</exception>
    public static ZooKeeperInstallation Default => DefaultInstance.Value;

    /// <summary>
    /// Locates java and the ZooKeeper jar. Never returns a partial result: throws when something is missing.
    /// </summary>
    /// <param name="zooKeeperJar">The server jar; <see cref="DefaultZooKeeperJar"/> when null.</param>
    /// <param name="javaPath">The java executable; looked up in <c>JAVA_HOME</c> then <c>PATH</c> when null.</param>
    /// <exception cref="InvalidOperationException">Java or ZooKeeper is not installed.</exception>
    public static ZooKeeperInstallation Locate(string? zooKeeperJar = null, string? javaPath = null)
    {
        zooKeeperJar ??= DefaultZooKeeperJar;
        if (!File.Exists(zooKeeperJar))
        {
            throw new InvalidOperationException(
                $"ZooKeeper server jar '{zooKeeperJar}' not found. The real-ZooKeeper tests need Debian's 'zookeeper' package: " +
                $"run '{InstallScript}' (as root) from the repository root, then run the tests again.");
        }

        string? java = javaPath ?? FindJava();
        if (java is null || !File.Exists(java))
        {
            throw new InvalidOperationException(
                $"Java runtime not found ({(javaPath is null ? "no JAVA_HOME/bin/java and no 'java' on PATH" : $"'{javaPath}' does not exist")}). " +
                $"Run '{InstallScript}' (as root) from the repository root; it installs Debian's 'zookeeper' package with its Java runtime.");
        }

        string? binding = Slf4jBindings.FirstOrDefault(File.Exists);
        return new ZooKeeperInstallation(Path.GetFullPath(java), Path.GetFullPath(zooKeeperJar), binding);
    }

    /// <summary>Throws unless every jar of <see cref="NettyTlsJars"/> exists.</summary>
    /// <exception cref="InvalidOperationException">A jar is missing (message names it and the install script).</exception>
    public static void EnsureTlsJarsPresent()
    {
        string[] missing = NettyTlsJars.Where(jar => !File.Exists(jar)).ToArray();
        if (missing.Length > 0)
        {
            throw new InvalidOperationException(
                $"TLS needs the Netty jars {string.Join(", ", missing)} (Debian's libnetty-java, a dependency of its 'zookeeper' package). " +
                $"Run '{InstallScript}' (as root) from the repository root.");
        }
    }

    private static string? FindJava()
    {
        string? javaHome = Environment.GetEnvironmentVariable("JAVA_HOME");
        if (!string.IsNullOrEmpty(javaHome))
        {
            string candidate = Path.Combine(javaHome, "bin", "java");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        string? path = Environment.GetEnvironmentVariable("PATH");
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        foreach (string dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, "java");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
