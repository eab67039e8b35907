using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Orleans.ZooKeeper.Tool.Cli;

namespace Orleans.ZooKeeper.Tool.Connecting;

/// <summary>
/// Resolves the ensemble the way a container does (<see cref="ZooKeeperTargetResolver.Resolve"/>: the URL, else the
/// configuration section, else <c>ASAB_ZOOKEEPER_SERVERS</c>). Options such as <c>--username</c> are keys of that
/// section laid over the <c>--config</c> file, so they are validated by the same rules and named in the same errors.
/// </summary>
internal static class ToolTarget
{
    public static ZooKeeperTarget Resolve(ParseResult parse, GlobalOptions options, Func<string, string?>? environment = null)
    {
        var section = parse.GetValue(options.Section)!;
        var builder = new ConfigurationBuilder();
        var file = parse.GetValue(options.Config);
        if (file is not null)
        {
            if (!file.Exists)
            {
                throw new ToolException($"--config '{file.FullName}' does not exist.");
            }

            var extension = file.Extension.ToLowerInvariant();
            _ = extension == ".json" ? builder.AddJsonFile(file.FullName, optional: false) : builder.AddIniFile(file.FullName, optional: false);
        }

        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        void Put(string key, string? value)
        {
            if (value is not null)
            {
                overrides[section + ":" + key] = value;
            }
        }

        Put(ZooKeeperTargetResolver.UsernameKey, parse.GetValue(options.Username));
        Put(ZooKeeperTargetResolver.PasswordKey, parse.GetValue(options.Password));
        Put(ZooKeeperTargetResolver.SaslUsernameKey, parse.GetValue(options.SaslUsername));
        Put(ZooKeeperTargetResolver.SaslPasswordKey, parse.GetValue(options.SaslPassword));
        Put(ZooKeeperTargetResolver.SaslMechanismKey, parse.GetValue(options.SaslMechanism));
        Put(ZooKeeperTargetResolver.TlsKey, parse.GetValue(options.Tls) ? "true" : null);
        Put(ZooKeeperTargetResolver.TlsCaFileKey, parse.GetValue(options.TlsCaFile)?.FullName);
        Put(ZooKeeperTargetResolver.TlsCertFileKey, parse.GetValue(options.TlsCertFile)?.FullName);
        Put(ZooKeeperTargetResolver.TlsKeyFileKey, parse.GetValue(options.TlsKeyFile)?.FullName);
        builder.AddInMemoryCollection(overrides);
        try
        {
            var configuration = file is null && overrides.Count == 0 ? null : builder.Build();
            return ZooKeeperTargetResolver.Resolve(parse.GetValue(options.Url), configuration, section, environment);
        }
        catch (ZooKeeperConfigurationException ex)
        {
            throw new ToolException(ex.Message, ExitCodes.Failed, ex);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            throw new ToolException($"--config '{file?.FullName}' cannot be read: {ex.Message}", ExitCodes.Failed, ex);
        }
    }
}
