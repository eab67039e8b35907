using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.ZooKeeper;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>
/// Fails silo startup on settings that cannot work. Orleans runs configuration validators before the silo lifecycle
/// starts, so a provider naming a container or a serializer that is not registered stops the silo there, with a
/// message naming the provider, the option, the value and what is registered, instead of failing late inside the
/// lifecycle (which Orleans does not fully unwind).
/// </summary>
internal sealed class ZooKeeperGrainStorageOptionsValidator(ZooKeeperGrainStorageOptions options, string name, IServiceProvider services, IServiceCollection? registrations) : IConfigurationValidator
{
    /// <summary>The longest TTL ZooKeeper accepts (2^40 - 1 ms, about 34 years).</summary>
    private const long MaxTtlMilliseconds = (1L << 40) - 1;

    public void ValidateConfiguration()
    {
        var prefix = Prefix(name);
        options.ValidateContainerSettings(prefix);

        if (options.MaxStateSize is <= 0)
        {
            throw new OrleansConfigurationException(prefix + $"{nameof(options.MaxStateSize)} must be positive (got {options.MaxStateSize}).");
        }

        if (options.StateExpiry is { } expiry && (expiry < TimeSpan.FromMilliseconds(1) || expiry.TotalMilliseconds > MaxTtlMilliseconds))
        {
            throw new OrleansConfigurationException(prefix + $"{nameof(options.StateExpiry)} must be from 1 ms to {MaxTtlMilliseconds} ms (got {expiry}).");
        }

        if (UnknownContainerError(name, options, services) is { } containerError)
        {
            throw new OrleansConfigurationException(containerError);
        }

        if (options.SerializerKey is { } key && options.GrainStorageSerializer is null)
        {
            var registered = registrations is null
                ? "(unknown)"
                : List(registrations
                    .Where(d => d.IsKeyedService && d.ServiceType == typeof(IGrainStorageSerializer) && d.ServiceKey is not null && !ReferenceEquals(d.ServiceKey, KeyedService.AnyKey))
                    .Select(d => d.ServiceKey!.ToString() ?? string.Empty));
            throw new OrleansConfigurationException(prefix +
                $"SerializerKey '{key.Key}' ({key.Origin}) names no registered {nameof(IGrainStorageSerializer)}; keyed serializers registered: {registered}. " +
                $"Register one with services.AddKeyedSingleton<{nameof(IGrainStorageSerializer)}>(\"{key.Key}\", ...), or remove SerializerKey for the default serializer.");
        }

        if (options.GrainStorageSerializer is null)
        {
            throw new OrleansConfigurationException(prefix + $"{nameof(options.GrainStorageSerializer)} is not set.");
        }
    }

    /// <summary>
    /// The error when <see cref="Orleans.Configuration.ZooKeeperProviderContainerOptions.ContainerName"/> names no container registered in
    /// <paramref name="services"/> (with the registered names), or null when it is unset or registered.
    /// </summary>
    internal static string? UnknownContainerError(string name, ZooKeeperGrainStorageOptions options, IServiceProvider services)
    {
        if (options.ContainerName is not { Length: > 0 } containerName)
        {
            return null;
        }

        var registered = services.GetServices<ZooKeeperContainerRegistration>().Select(r => r.Name).Distinct(StringComparer.Ordinal).ToList();
        if (registered.Contains(containerName, StringComparer.Ordinal))
        {
            return null;
        }

        var origin = options.ContainerNameOrigin ?? $"{nameof(ZooKeeperGrainStorageOptions)}.{nameof(options.ContainerName)}";
        return Prefix(name) +
            $"ContainerName '{containerName}' ({origin}) names no registered ZooKeeper container; registered containers: {List(registered)}. " +
            $"Register it with siloBuilder.AddZooKeeperContainer(\"{containerName}\", url), or leave ContainerName unset for a container of the provider's own (Url / ConfigurationSection).";
    }

    private static string Prefix(string name) => $"Invalid configuration for ZooKeeper grain storage '{name}': ";

    private static string List(IEnumerable<string> names)
    {
        var quoted = names.Order(StringComparer.Ordinal).Select(n => $"'{n}'").ToList();
        return quoted.Count == 0 ? "none" : string.Join(", ", quoted);
    }
}
