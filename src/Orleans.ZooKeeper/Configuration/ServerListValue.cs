using Orleans.ZooKeeper.Client;
using static Orleans.ZooKeeper.ConfigurationText;

namespace Orleans.ZooKeeper;

/// <summary>
/// A server list as the container accepts it, from the URL, the section or the environment: comma-separated entries
/// in the client's one server-entry grammar (<see cref="ConnectionString.ParseServer"/>), no chroot, no empty entry,
/// no server twice. Errors name the list and where it came from; an entry's error wraps the grammar's own message.
/// </summary>
internal static class ServerListValue
{
    /// <summary>Parses <paramref name="text"/>; throws <see cref="ZooKeeperConfigurationException"/> naming it and <paramref name="origin"/>.</summary>
    public static ServerAddress[] Parse(string text, string origin)
    {
        var ws = IndexOfWhiteSpace(text);
        if (ws >= 0)
        {
            throw Error($"The server list '{Printable(text)}' in {origin} contains whitespace ('{Printable(text[ws].ToString())}' at index {ws}).", origin, text);
        }

        if (text.Contains('/', StringComparison.Ordinal))
        {
            throw Error($"The server list '{Printable(text)}' in {origin} contains '/'; a chroot is not accepted here, the path is set separately.", origin, text);
        }

        var entries = text.Split(',');
        var servers = new ServerAddress[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            if (entry.Length == 0)
            {
                throw Error($"The server list '{Printable(text)}' in {origin} has an empty entry (number {i + 1} of {entries.Length}); check for ',,' or a comma at either end.", origin, text);
            }

            ServerAddress server;
            try
            {
                server = ServerAddress.Parse(entry);
            }
            catch (FormatException e)
            {
                throw Error($"Invalid server list '{Printable(text)}' in {origin}: {e.Message}", origin, entry, e);
            }

            for (var j = 0; j < i; j++)
            {
                if (servers[j].Port == server.Port && string.Equals(servers[j].Host, server.Host, StringComparison.OrdinalIgnoreCase))
                {
                    throw Error($"The server list '{Printable(text)}' in {origin} names '{Printable(entry)}' twice.", origin, entry);
                }
            }

            servers[i] = server;
        }

        return servers;
    }
}
