using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper;

/// <summary>
/// Text helpers shared by the parts of target resolution: showing a value in a message (escaped, so a message never
/// carries control or invisible characters), the whitespace and UTF-16 checks, and the exception they all throw.
/// </summary>
internal static class ConfigurationText
{
    /// <summary>The resolution error: <paramref name="message"/> names the value (unless secret) and <paramref name="origin"/>.</summary>
    public static ZooKeeperConfigurationException Error(string message, string origin, string? value, Exception? inner = null)
        => new(message, origin, value, inner);

    /// <summary>The index of the first whitespace character, or -1.</summary>
    public static int IndexOfWhiteSpace(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsWhiteSpace(s[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>True when every surrogate is paired, so the text can be sent as UTF-8.</summary>
    public static bool IsWellFormedUtf16(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The text with its first character in upper case (an origin that starts a sentence).</summary>
    public static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    /// <summary>The value as shown in a message (see <see cref="ZooKeeperText.Printable"/>).</summary>
    public static string Printable(string s) => ZooKeeperText.Printable(s);
}
