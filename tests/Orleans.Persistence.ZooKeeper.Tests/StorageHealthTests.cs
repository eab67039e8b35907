using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>Grain storage's own containers are health checks too; a provider using a named container adds none of its own.</summary>
[Collection(ServerCollection.Name)]
public sealed class StorageHealthTests(ServerFixture fixture)
{
    [Fact]
    public async Task Every_container_of_the_silo_is_checked_once_including_those_storage_runs_for_itself()
    {
        var cluster = await fixture.HostingClusterAsync();
        var health = cluster.Services().GetRequiredService<HealthCheckService>();

        var report = await health.CheckHealthAsync();

        // Providers registered in code and from configuration alike (the hosting silo has both kinds).
        Assert.Contains("zookeeper:" + ClusterSetup.SharedContainer, report.Entries.Keys);
        Assert.Contains("zookeeper:storage:" + ClusterSetup.MainProvider, report.Entries.Keys);
        Assert.Contains("zookeeper:storage:" + ClusterSetup.SecureProvider, report.Entries.Keys);
        Assert.Contains("zookeeper:storage:PubSubStore", report.Entries.Keys);
        Assert.Contains("zookeeper:storage:cfgstore", report.Entries.Keys);
        Assert.DoesNotContain("zookeeper:storage:" + ClusterSetup.ContainerProvider, report.Entries.Keys); // uses "shared"
        Assert.All(report.Entries.Keys, k => Assert.StartsWith("zookeeper:", k));
        Assert.All(report.Entries.Values, e => Assert.Equal(HealthStatus.Healthy, e.Status));
        Assert.Equal(fixture.Server.ConnectString, report.Entries["zookeeper:storage:" + ClusterSetup.MainProvider].Data["server"]);
        Assert.Equal(HealthStatus.Healthy, report.Status);
    }
}
