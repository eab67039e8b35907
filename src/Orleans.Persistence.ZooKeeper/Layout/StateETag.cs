using System.Globalization;
using Orleans.ZooKeeper.Client;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>
/// ETags: <c>{czxid:x}-{version}</c> of the state node — the creation zxid tells incarnations apart, because a node's
/// version restarts at 0 when it is deleted and created again. A state read from the version-1 layout gets
/// <c>L{czxid:x}-{version}</c>, so the next write knows to move it.
/// </summary>
internal static class StateETag
{
    private const char LegacyPrefix = 'L';

    public static string Format(Stat stat, bool legacy = false)
        => legacy
            ? string.Create(CultureInfo.InvariantCulture, $"{LegacyPrefix}{stat.Czxid:x}-{stat.Version}")
            : string.Create(CultureInfo.InvariantCulture, $"{stat.Czxid:x}-{stat.Version}");

    /// <summary>Reads an ETag this provider issued; false for anything else.</summary>
    public static bool TryParse(string etag, out long czxid, out int version, out bool legacy)
    {
        var text = etag.AsSpan();
        legacy = text.Length > 0 && text[0] == LegacyPrefix;
        if (legacy)
        {
            text = text[1..];
        }

        var dash = text.IndexOf('-');
        version = 0;
        czxid = 0;
        return dash > 0
            && long.TryParse(text[..dash], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out czxid)
            && int.TryParse(text[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out version);
    }
}
