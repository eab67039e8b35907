using Microsoft.Extensions.Configuration;
using static Orleans.ZooKeeper.ConfigurationText;

namespace Orleans.ZooKeeper;

/// <summary>
/// The rules every configuration and environment value follows: an empty value counts as not set, a value is never
/// trimmed (whitespace at either end is an error), and a key holds a single value, not nested keys.
/// </summary>
internal static class ConfigurationValue
{
    /// <summary>Reads one key of <paramref name="section"/>: null when absent or empty; throws on nested keys or whitespace at either end.</summary>
    /// <param name="section">The section.</param>
    /// <param name="key">The key within it.</param>
    /// <param name="secret">True for a password: its value is never shown.</param>
    /// <param name="origin">Set to <c>configuration key 'section:key'</c>, for messages and sources.</param>
    public static string? Read(IConfigurationSection section, string key, bool secret, out string origin)
    {
        var child = section.GetSection(key);
        origin = $"configuration key '{child.Path}'";
        var value = child.Value;
        if (value is null)
        {
            if (child.GetChildren().Any())
            {
                throw Error($"{Capitalize(origin)} has nested keys (an object or array); expected a single value.", origin, null);
            }

            return null;
        }

        if (value.Length == 0)
        {
            return null;
        }

        CheckEnds(value, origin, secret);
        return value;
    }

    /// <summary>Throws when a non-empty <paramref name="value"/> starts or ends with whitespace (shown unless <paramref name="secret"/>).</summary>
    public static void CheckEnds(string value, string origin, bool secret)
    {
        if (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]))
        {
            if (secret)
            {
                throw Error($"The value of {origin} has leading or trailing whitespace (value not shown); values are not trimmed.", origin, null);
            }

            throw Error($"The value '{Printable(value)}' of {origin} has leading or trailing whitespace; values are not trimmed.", origin, value);
        }
    }
}
