using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Providers;

[assembly: RegisterProvider("ZooKeeper", "Reminders", "Silo", typeof(ZooKeeperRemindersProviderBuilder))]
[assembly: RegisterProvider("ZooKeeper", "Reminders", "Client", typeof(ZooKeeperRemindersClientProviderBuilder))]

namespace Orleans.Hosting;

/// <summary>
/// Lets <c>Orleans:Reminders:ProviderType = ZooKeeper</c> set the reminder table up from configuration; the keys next to
/// it bind to <c>ZooKeeperReminderTableOptions</c> (ContainerName, Url, ConfigurationSection, Username, Password,
/// ReadBatchSize).
/// </summary>
internal sealed class ZooKeeperRemindersProviderBuilder : IProviderBuilder<ISiloBuilder>
{
    public void Configure(ISiloBuilder builder, string? name, IConfigurationSection configurationSection)
        => builder.UseZooKeeperReminderService((OptionsBuilder<ZooKeeperReminderTableOptions> options) => options.Bind(configurationSection, o => o.ErrorOnUnknownConfiguration = false));
}

/// <summary>
/// Orleans clients apply the same <c>Orleans:Reminders</c> section as silos and fail to start on a provider type with
/// no client registration (e.g. a client given the silo's configuration). The table runs in silos only, so on a client
/// there is nothing to set up.
/// </summary>
internal sealed class ZooKeeperRemindersClientProviderBuilder : IProviderBuilder<IClientBuilder>
{
    public void Configure(IClientBuilder builder, string? name, IConfigurationSection configurationSection)
    {
    }
}
