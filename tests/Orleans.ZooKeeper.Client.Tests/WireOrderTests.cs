using System.Buffers.Binary;
using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>
/// The exact order of frames on a new connection, seen by a fake server: handshake, credential replay, watch
/// replay, then the requests that waited (in issue order), then the ones issued after CONNECTED.
/// </summary>
public sealed class WireOrderTests
{
    private const long SessionId = 0x0de7_0000_0000_0007;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task After_a_reconnect_credentials_then_watches_then_queued_requests_then_new_ones_go_out_in_that_order(bool asyncContinuations)
    {
        var releaseFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseSecondHandshake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondRequests = new List<FakeRequest>();
        var secondDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fake = new FakeZooKeeperServer(async c =>
        {
            if (c.Index == 0)
            {
                await c.HandshakeAsync(SessionId);
                for (var served = 0; served < 2; served++)
                {
                    var r = await c.ReadRequestAsync();
                    await Reply(c, r); // the auth replay and the watched getData
                }

                await releaseFirst.Task;
                c.Close();
                return;
            }

            await c.ReadConnectRequestAsync();
            await releaseSecondHandshake.Task;
            await c.SendConnectResponseAsync(SessionId);
            while (secondRequests.Count < 7)
            {
                var r = await c.ReadRequestAsync();
                lock (secondRequests)
                {
                    secondRequests.Add(r);
                }

                await Reply(c, r);
            }

            secondDone.TrySetResult();
            await c.ServeAsync(r => Reply(c, r));
        });

        var options = FakeScenarios.Options(fake.Address);
        options.RunContinuationsAsynchronously = asyncContinuations;
        options.AddDigest("alice", "secret");
        await using var client = await ZooKeeperClient.ConnectAsync(options);
        await client.GetDataAsync("/watched", _ => { }).AsTask().WithTimeout();

        releaseFirst.SetResult();
        await Wait.UntilAsync(() => client.State == ConnectionState.Suspended, what: "SUSPENDED");
        var queued = new List<Task>
        {
            client.SetDataAsync("/q1", "x"u8.ToArray()).AsTask(),
            client.CreateAsync("/q2").AsTask(),
            client.AddDigestAuthAsync("bob", "pw"),
            client.DeleteAsync("/q3").AsTask(),
        };
        releaseSecondHandshake.SetResult();
        await client.WaitUntilConnectedAsync(TimeSpan.FromSeconds(10));
        var after = client.GetDataAsync("/after").AsTask();
        await Task.WhenAll([.. queued, after]).WithTimeout();
        await secondDone.Task.WithTimeout();

        string[] expected = ["auth digest alice", "setWatches /watched", "setData /q1", "create /q2", "auth digest bob", "delete /q3", "getData /after"];
        Assert.Equal(expected, secondRequests.Select(Describe));
        var xids = secondRequests.Where(r => r.Xid > 0).Select(r => r.Xid).ToList();
        Assert.Equal(xids.Order(), xids);
        Assert.Equal(xids.Distinct().Count(), xids.Count);
        fake.AssertNoScriptErrors();
    }

    private static string Describe(FakeRequest r) => (r.Xid, r.Type) switch
    {
        (-4, 100) => "auth " + AuthScheme(r.Body) + " " + AuthUser(r.Body),
        (-8, 101 or 105) => "setWatches " + string.Join(",", SetWatchesPaths(r.Body)),
        (_, 5) => "setData " + r.Path,
        (_, 15) => "create " + r.Path,
        (_, 2) => "delete " + r.Path,
        (_, 4) => "getData " + r.Path,
        _ => $"xid {r.Xid} type {r.Type}",
    };

    private static Task Reply(FakeConnection c, FakeRequest r) => r.Type switch
    {
        100 => c.SendReplyAsync(-4),
        101 or 105 => c.SendReplyAsync(-8),
        5 => c.SendReplyAsync(r.Xid, body: new JuteWriter().Stat(Jute.SampleStat).ToArray()),
        15 => c.SendReplyAsync(r.Xid, body: new JuteWriter().String(r.Path).Stat(Jute.SampleStat).ToArray()),
        4 => c.SendReplyAsync(r.Xid, body: Jute.DataBody("d"u8.ToArray())),
        _ => c.SendReplyAsync(r.Xid),
    };

    // AuthPacket {int type, ustring scheme, buffer auth}
    private static string AuthScheme(byte[] body)
    {
        var len = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(4));
        return Encoding.UTF8.GetString(body, 8, len);
    }

    private static string AuthUser(byte[] body)
    {
        var schemeLen = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(4));
        var at = 8 + schemeLen;
        var len = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(at));
        var auth = Encoding.UTF8.GetString(body, at + 4, len);
        return auth[..auth.IndexOf(':', StringComparison.Ordinal)];
    }

    // SetWatches {long relativeZxid, vector<ustring> data, exist, child[, persistent, recursive]}
    private static List<string> SetWatchesPaths(byte[] body)
    {
        var paths = new List<string>();
        var at = 8;
        while (at < body.Length)
        {
            var count = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(at));
            at += 4;
            for (var i = 0; i < count; i++)
            {
                var len = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(at));
                paths.Add(Encoding.UTF8.GetString(body, at + 4, len));
                at += 4 + len;
            }
        }

        return paths;
    }
}
