using Microsoft.Extensions.Configuration;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper;

/// <summary><c>servers</c> and <c>path</c> of the fallback section, read (and validated) only when asked for.</summary>
internal sealed class FallbackSection(IConfigurationSection? section, string sectionName)
{
    /// <summary>The servers and where they came from, or null when the section sets none.</summary>
    public (IReadOnlyList<ServerAddress> Servers, string Origin)? Servers()
    {
        if (section is null)
        {
            return null;
        }

        var servers = TargetSection.ReadServers(section, out var origin);
        return servers is null ? null : (servers, origin);
    }

    /// <summary>The path and where it came from, or null when the section sets none.</summary>
    public (string Path, string Origin)? Path()
    {
        if (section is null)
        {
            return null;
        }

        var path = TargetSection.ReadPath(section, out var origin);
        return path is null ? null : (path, origin);
    }

    /// <summary>Where servers would come from, for messages: <c>configuration key 'zookeeper:servers'</c>.</summary>
    public string ServersOrigin => $"configuration key '{sectionName}:{ConfigurationKeys.ServersKey}'";
}
