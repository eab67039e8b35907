using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Providers;
using Orleans.Storage;

[assembly: RegisterProvider("ZooKeeper", "GrainStorage", "Silo", typeof(ZooKeeperGrainStorageProviderBuilder))]
[assembly: RegisterProvider("ZooKeeper", "GrainStorage", "Client", typeof(ZooKeeperGrainStorageClientProviderBuilder))]

namespace Orleans.Hosting;

/// <summary>
/// Lets <c>Orleans:GrainStorage:{name}:ProviderType = ZooKeeper</c> set the provider up from configuration; the
/// keys next to it bind to <see cref="ZooKeeperGrainStorageOptions"/> (ContainerName, Url, ConfigurationSection,
/// Username, Password, DeleteStateOnClear, MaxStateSize, CompressState) plus SerializerKey (a keyed serializer).
/// </summary>
internal sealed class ZooKeeperGrainStorageProviderBuilder : IProviderBuilder<ISiloBuilder>
{
    private const string SerializerKeyName = "SerializerKey";

    public void Configure(ISiloBuilder builder, string? name, IConfigurationSection configurationSection)
    {
        builder.AddZooKeeperGrainStorage(name ?? ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, optionsBuilder =>
        {
            optionsBuilder.Bind(configurationSection, o => o.ErrorOnUnknownConfiguration = false);
            optionsBuilder.Configure<IServiceProvider>((options, services) =>
            {
                var containerName = configurationSection[nameof(options.ContainerName)];
                if (!string.IsNullOrEmpty(containerName) && options.ContainerName == containerName)
                {
                    options.ContainerNameOrigin = $"configuration key '{configurationSection.Path}:{nameof(options.ContainerName)}'";
                }

                var serializerKey = configurationSection[SerializerKeyName];
                if (!string.IsNullOrEmpty(serializerKey))
                {
                    // Not resolved with GetRequiredKeyedService: its error names neither the key nor the provider.
                    // Null (nothing registered under the key) is reported by the options validator before the silo starts.
                    options.SerializerKey = (serializerKey, $"configuration key '{configurationSection.Path}:{SerializerKeyName}'");
                    options.GrainStorageSerializer = services.GetKeyedService<IGrainStorageSerializer>(serializerKey)!;
                }
            });
        });
    }
}

/// <summary>
/// Orleans clients apply the same <c>Orleans:GrainStorage</c> section as silos and fail to start on a provider type
/// with no client registration ("Could not find GrainStorage provider named 'ZooKeeper'"), e.g. a client given the
/// silo's configuration. Grain storage runs in silos only, so on a client there is nothing to set up.
/// </summary>
internal sealed class ZooKeeperGrainStorageClientProviderBuilder : IProviderBuilder<IClientBuilder>
{
    public void Configure(IClientBuilder builder, string? name, IConfigurationSection configurationSection)
    {
    }
}
