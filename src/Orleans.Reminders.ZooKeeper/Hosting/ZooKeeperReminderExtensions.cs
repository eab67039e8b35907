using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Reminders.ZooKeeper;
using Orleans.Runtime;
using Orleans.Serialization;

namespace Orleans.Hosting;

/// <summary>Keeps Orleans' reminders in ZooKeeper.</summary>
public static class ZooKeeperReminderExtensions
{
    /// <summary>
    /// Keeps the reminder table in ZooKeeper: <c>siloBuilder.UseZooKeeperReminderService(o => o.ContainerName = "main")</c>
    /// (through a registered container) or <c>o.Url = "zookeeper://zk1:2181,zk2:2181/orleans"</c> (a container of its
    /// own). Without options the target comes from the <c>zookeeper</c> configuration section and <c>ASAB_ZOOKEEPER_SERVERS</c>.
    /// </summary>
    public static ISiloBuilder UseZooKeeperReminderService(this ISiloBuilder builder, Action<ZooKeeperReminderTableOptions>? configure = null)
        => builder.UseZooKeeperReminderService(ob => ob.Configure(o => configure?.Invoke(o)));

    /// <summary>Keeps the reminder table in ZooKeeper, configured through an options builder.</summary>
    public static ISiloBuilder UseZooKeeperReminderService(this ISiloBuilder builder, Action<OptionsBuilder<ZooKeeperReminderTableOptions>> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.UseZooKeeperReminderService(configureOptions);
        return builder;
    }

    /// <summary>Keeps the reminder table in ZooKeeper (services form; also adds Orleans' reminder service).</summary>
    public static IServiceCollection UseZooKeeperReminderService(this IServiceCollection services, Action<OptionsBuilder<ZooKeeperReminderTableOptions>> configureOptions)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configureOptions);
        services.AddReminders();
        configureOptions(services.AddOptions<ZooKeeperReminderTableOptions>());
        services.AddSingleton<ZooKeeperReminderTable>();
        services.AddSingleton<IReminderTable>(sp => sp.GetRequiredService<ZooKeeperReminderTable>());
        services.AddSingleton<IConfigurationValidator>(sp => new ZooKeeperReminderTableOptionsValidator(sp.GetRequiredService<IOptions<ZooKeeperReminderTableOptions>>().Value));
        services.ConfigureFormatter<ZooKeeperReminderTableOptions>();

        // Its connection comes from the provider host, which also lists its own container (health checks).
        services.AddZooKeeperProvider(ZooKeeperReminderTable.ProviderName, sp => sp.GetRequiredService<IOptions<ZooKeeperReminderTableOptions>>().Value);

        // Table errors travel back to the grain that registered a reminder: Orleans must be allowed to serialize them.
        services.AddZooKeeperExceptionSerialization("Orleans.Reminders.ZooKeeper");
        return services;
    }
}
