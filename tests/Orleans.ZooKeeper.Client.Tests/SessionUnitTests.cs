using System.Buffers.Binary;
using Orleans.ZooKeeper.Client.Proto;
using Orleans.ZooKeeper.Client.Session;

namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>The session core's pure parts, without sockets: the outgoing batch, the FIFO of waiting requests, SetWatches batching.</summary>
public sealed class SessionUnitTests
{
    [Fact]
    public void OutboundBatch_hands_one_flusher_everything_appended_and_keeps_later_frames_for_the_next()
    {
        var batch = new OutboundBatch();
        Assert.Null(batch.TryTake());

        WritePing(batch.Active);
        WritePing(batch.Active);
        var first = batch.TryTake();
        Assert.NotNull(first);
        Assert.Equal(2 * 12, first.Length);
        Assert.True(batch.IsFlushing);

        // While a flush runs, nobody else takes; frames keep accumulating in the other buffer.
        WritePing(batch.Active);
        Assert.Null(batch.TryTake());
        Assert.True(batch.Return(first));
        var second = batch.TryTake();
        Assert.NotNull(second);
        Assert.Equal(12, second.Length);
        Assert.False(batch.Return(second));
        Assert.True(batch.IsEmpty);
    }

    [Fact]
    public void OutboundBatch_close_during_a_flush_releases_the_buffers_and_refuses_more()
    {
        var batch = new OutboundBatch();
        WritePing(batch.Active);
        var flushing = batch.TryTake()!;
        batch.Close();
        Assert.Throws<ObjectDisposedException>(() => batch.Active);
        Assert.Null(batch.TryTake());
        Assert.False(batch.Return(flushing));
        Assert.Equal(0, flushing.Length); // disposed by Return, not while the flusher still used it
        Assert.Throws<InvalidOperationException>(() => batch.Return(flushing));
    }

    [Fact]
    public void Backlog_keeps_issue_order_lets_any_entry_leave_and_expires_only_from_the_head()
    {
        var backlog = new RequestBacklog();
        var r = Enumerable.Range(0, 5).Select(i => Request(deadline: 100 + (i * 10))).ToArray();
        foreach (var request in r)
        {
            backlog.Add(request);
        }

        backlog.Remove(r[2]); // cancelled from the middle
        Assert.Equal(4, backlog.Count);
        Assert.Equal([r[0], r[1]], backlog.TakeExpired(now: 115)!);
        Assert.Null(backlog.TakeExpired(now: 115));
        Assert.Same(r[3], backlog.First);

        var head = backlog.TakeFirst()!;
        backlog.AddFirst(head); // put back after a failed placement
        Assert.Equal([r[3], r[4]], backlog.TakeAll());
        Assert.True(backlog.IsEmpty);
        Assert.Throws<InvalidOperationException>(() => backlog.Remove(r[3]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SetWatches_are_split_under_the_packet_limit_and_every_path_is_sent_exactly_once(bool persistent)
    {
        const int MaxPacket = 64 * 1024;
        var data = Paths("d", 3000);
        var exist = Paths("e", 50);
        var child = Paths("c", 2000);
        List<string> persistentPaths = persistent ? Paths("p", 700) : [];
        List<string> recursive = persistent ? Paths("r", 5) : [];
        using var buffer = new FrameBuffer();

        var frames = SetWatches.WriteFrames(buffer, 0x1234, data, exist, child, persistentPaths, recursive, MaxPacket);

        var seen = new List<string>[persistent ? 5 : 3];
        for (var i = 0; i < seen.Length; i++)
        {
            seen[i] = [];
        }

        var bytes = buffer.WrittenSpan.ToArray();
        var at = 0;
        var count = 0;
        while (at < bytes.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(at));
            Assert.InRange(length, 1, MaxPacket);
            var reader = new JuteReader(bytes.AsSpan(at + 4, length));
            Assert.Equal(Xids.SetWatches, reader.ReadInt());
            Assert.Equal(persistent ? (int)OpCode.SetWatches2 : (int)OpCode.SetWatches, reader.ReadInt());
            Assert.Equal(0x1234, reader.ReadLong());
            foreach (var list in seen)
            {
                list.AddRange(reader.ReadStringList());
            }

            Assert.Equal(0, reader.Remaining);
            at += 4 + length;
            count++;
        }

        Assert.Equal(frames, count);
        Assert.True(frames > 1);
        Assert.Equal(data, seen[0]);
        Assert.Equal(exist, seen[1]);
        Assert.Equal(child, seen[2]);
        if (persistent)
        {
            Assert.Equal(persistentPaths, seen[3]);
            Assert.Equal(recursive, seen[4]);
        }
    }

    [Fact]
    public void A_request_too_large_for_the_packet_limit_leaves_nothing_in_the_buffer()
    {
        using var buffer = new FrameBuffer();
        WritePing(buffer);
        var body = new SetDataRequest("/big", new byte[5000], -1);
        var size = RequestWriter.WriteFrame(buffer, 7, ref body, new Chroot("/root"), maxPacket: 4096);
        Assert.True(size < -4096);
        Assert.Equal(12, buffer.Length);

        var small = new SetDataRequest("/small", new byte[10], -1);
        Assert.Equal(8 + (4 + "/root/small".Length) + (4 + 10) + 4, RequestWriter.WriteFrame(buffer, 8, ref small, new Chroot("/root"), maxPacket: 4096));
    }

    private static void WritePing(FrameBuffer buffer) => ControlPackets.WritePing(buffer);

    private static PendingRequest Request(long deadline)
    {
        var request = PendingRequest<bool, NoReply>.Rent(runContinuationsAsynchronously: false);
        request.Deadline = deadline;
        return request;
    }

    private static List<string> Paths(string prefix, int count)
        => Enumerable.Range(0, count).Select(i => $"/{prefix}/{i:D6}-{new string('x', 40)}").ToList();
}
