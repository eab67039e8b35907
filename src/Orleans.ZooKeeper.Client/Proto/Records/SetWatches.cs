using System.Text;

namespace Orleans.ZooKeeper.Client.Proto;

/// <summary>
/// SetWatches {long relativeZxid, vector dataWatches, existWatches, childWatches} and SetWatches2 (adds
/// persistentWatches, persistentRecursiveWatches), sent on xid -8 after a reconnect. The paths (server paths,
/// chroot included) are split over as many packets as needed to keep each under the packet limit, as the Java
/// client does (~128 KiB of path text per packet).
/// </summary>
internal static class SetWatches
{
    /// <summary>Path bytes per packet at most (the Java client's SET_WATCHES_MAX_LENGTH).</summary>
    public const int MaxPathBytesPerPacket = 128 * 1024;

    /// <summary>Writes the frames; returns how many were written.</summary>
    public static int WriteFrames(
        FrameBuffer buffer,
        long relativeZxid,
        IReadOnlyList<string> data,
        IReadOnlyList<string> exist,
        IReadOnlyList<string> child,
        IReadOnlyList<string> persistent,
        IReadOnlyList<string> persistentRecursive,
        int maxPacket)
    {
        var useV2 = persistent.Count + persistentRecursive.Count > 0;
        IReadOnlyList<string>[] lists = useV2 ? [data, exist, child, persistent, persistentRecursive] : [data, exist, child];
        var next = new int[lists.Length];
        var budgetPerPacket = Math.Min(MaxPathBytesPerPacket, maxPacket / 2);
        var frames = 0;
        while (true)
        {
            // Decide the slice of every list this packet carries, then write it.
            var budget = budgetPerPacket;
            var counts = new int[lists.Length];
            var any = false;
            for (var l = 0; l < lists.Length; l++)
            {
                var list = lists[l];
                while (next[l] + counts[l] < list.Count)
                {
                    var cost = Encoding.UTF8.GetByteCount(list[next[l] + counts[l]]) + 4;
                    if (any && cost > budget)
                    {
                        break;
                    }

                    counts[l]++;
                    budget -= cost;
                    any = true;
                }
            }

            if (!any)
            {
                return frames;
            }

            var start = buffer.BeginFrame();
            RequestHeader.Write(buffer, Xids.SetWatches, useV2 ? OpCode.SetWatches2 : OpCode.SetWatches);
            buffer.WriteLong(relativeZxid);
            for (var l = 0; l < lists.Length; l++)
            {
                buffer.WriteInt(counts[l]);
                for (var i = 0; i < counts[l]; i++)
                {
                    buffer.WriteString(lists[l][next[l] + i]);
                }

                next[l] += counts[l];
            }

            buffer.EndFrame(start);
            frames++;
        }
    }
}
