using Microsoft.Extensions.DependencyInjection;

namespace Orleans.ZooKeeper;

/// <summary>The containers registered in this silo, by name.</summary>
public sealed class ZooKeeperContainers
{
    private readonly IServiceProvider _services;
    private readonly IReadOnlyList<string> _names;

    /// <summary>Created by DI.</summary>
    public ZooKeeperContainers(IServiceProvider services, IEnumerable<ZooKeeperContainerRegistration> registrations)
    {
        _services = services;
        _names = registrations.Select(r => r.Name).Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The registered names.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The container called <paramref name="name"/>.</summary>
    public ZooKeeperContainer Get(string name)
    {
        if (!_names.Contains(name, StringComparer.Ordinal))
        {
            throw new KeyNotFoundException($"No ZooKeeper container named '{name}' is registered (registered: {string.Join(", ", _names.Select(n => "'" + n + "'"))}). Add it with siloBuilder.AddZooKeeperContainer(\"{name}\", ...).");
        }

        return _services.GetRequiredKeyedService<ZooKeeperContainer>(name);
    }
}
