namespace Orleans.ZooKeeper.Testing.Tests;

public class InstallationAndPortTests
{
    [Fact]
    public void DefaultInstallationIsFound()
    {
        ZooKeeperInstallation installation = ZooKeeperInstallation.Default;
        Assert.True(File.Exists(installation.JavaPath));
        Assert.True(File.Exists(installation.ZooKeeperJar));
        Assert.StartsWith(installation.ZooKeeperJar, installation.ClassPath);
    }

    [Fact]
    public void MissingJarThrowsWithInstallHint()
    {
        var e = Assert.Throws<InvalidOperationException>(() => ZooKeeperInstallation.Locate(zooKeeperJar: "/nonexistent/zookeeper.jar"));
        Assert.Contains("scripts/install-zookeeper.sh", e.Message);
    }

    [Fact]
    public void MissingJavaThrowsWithInstallHint()
    {
        var e = Assert.Throws<InvalidOperationException>(() => ZooKeeperInstallation.Locate(javaPath: "/nonexistent/bin/java"));
        Assert.Contains("scripts/install-zookeeper.sh", e.Message);
    }

    [Fact]
    public void FreePortsAreDistinctAndBindable()
    {
        int[] ports = FreePort.Next(50);
        Assert.Equal(50, ports.Distinct().Count());
        foreach (int port in ports)
        {
            Assert.InRange(port, 1024, 65535);
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
        }
    }
}
