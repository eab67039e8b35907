using System.Globalization;
using Orleans.Runtime;
using Orleans.ZooKeeper;
using Orleans.ZooKeeper.Client;

namespace Orleans.Reminders.ZooKeeper;

/// <summary>
/// Where the reminder table keeps its rows: <c>{container path}/{ServiceId}/reminders/{bucket}/{row}</c>.
/// </summary>
/// <remarks>
/// <para><b>Buckets</b>: the top 8 bits of the grain's uniform hash (<see cref="GrainId.GetUniformHashCode"/>), two
/// upper-case hex digits, <c>00</c>..<c>FF</c>; created when their first row is. A range read lists the reminders node
/// (the buckets that exist), then only the buckets the range overlaps, and reads only the rows whose hash — in their
/// name — is in the range: its cost follows the range, not the table.</para>
/// <para><b>Rows</b>: <c>{hash:X8}.{grain id}.{reminder name}</c>, the two strings encoded with
/// <see cref="ZooKeeperNodeNames"/> (reversible, never '.' or '/'), so a row is found from the grain and the name alone
/// and a bucket listing tells each row's hash without reading it. The data is readable JSON (<see cref="ReminderRowCodec"/>).
/// Each row has one child, its <b>incarnation guard</b>, named by the random id the row was created with: a remove
/// checks it, so an ETag taken before the row was removed and created again can never remove the new one.</para>
/// </remarks>
internal sealed class ReminderLayout
{
    /// <summary>The number of buckets (the hash's top 8 bits).</summary>
    public const int BucketCount = 256;

    /// <summary>The folder below the service's node.</summary>
    public const string Folder = "reminders";

    public ReminderLayout(string basePath, string serviceId)
        => Root = ZooKeeperPath.Combine(ZooKeeperPath.Combine(basePath, ZooKeeperNodeNames.Encode(serviceId)), Folder);

    /// <summary>The table's node: <c>{container path}/{ServiceId}/reminders</c>.</summary>
    public string Root { get; }

    public static int BucketOf(uint hash) => (int)(hash >> 24);

    public static string BucketName(int bucket) => bucket.ToString("X2", CultureInfo.InvariantCulture);

    public string BucketPath(int bucket) => Root + "/" + BucketName(bucket);

    /// <summary>The name prefix every row of a grain has: <c>{hash:X8}.{grain id}.</c>.</summary>
    public static string GrainPrefix(GrainId grainId)
        => grainId.GetUniformHashCode().ToString("X8", CultureInfo.InvariantCulture) + "." + ZooKeeperNodeNames.Encode(grainId.ToString()) + ".";

    public string RowPath(GrainId grainId, string reminderName)
        => BucketPath(BucketOf(grainId.GetUniformHashCode())) + "/" + GrainPrefix(grainId) + ZooKeeperNodeNames.Encode(reminderName);

    /// <summary>A bucket name's number, or -1 for anything else.</summary>
    public static int ParseBucket(string name)
        => name.Length == 2 && int.TryParse(name, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var bucket) && BucketName(bucket) == name ? bucket : -1;

    /// <summary>The hash a row name starts with, or null for a name that is not a row's.</summary>
    public static uint? HashOf(string rowName)
        => rowName.Length > 9 && rowName[8] == '.' && uint.TryParse(rowName.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hash) ? hash : null;

    /// <summary>Orleans' ring range: <c>(begin, end]</c>, or when <paramref name="begin"/> ≥ <paramref name="end"/> the wrap-around <c>(begin, max] ∪ [0, end]</c> (begin = end: the whole ring).</summary>
    public static bool InRange(uint hash, uint begin, uint end) => begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;

    /// <summary>True when some hash of <paramref name="bucket"/> is in the range.</summary>
    public static bool Overlaps(int bucket, uint begin, uint end)
    {
        var low = (uint)bucket << 24;
        var high = low | 0x00FFFFFF;
        return begin < end ? high > begin && low <= end : high > begin || low <= end;
    }
}
