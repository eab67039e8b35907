using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>
/// A misbehaving fake server listed first, the real server second (ShuffleServers = false): the client must report
/// the failure, never hang, and end up working against the real server.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class FakeServerTests(SharedServerFixture fixture)
{
    private string Real => fixture.Server.ConnectString;

    [Theory]
    [MemberData(nameof(FakeScenarios.HandshakeFailures), MemberType = typeof(FakeScenarios))]
    [InlineData("silent")]
    public async Task Handshake_failure_then_the_client_uses_the_next_server(string scenario)
    {
        await using var fake = new FakeZooKeeperServer(c => FakeScenarios.MisbehaveInHandshakeAsync(c, scenario));
        var options = FakeScenarios.Options($"{fake.Address},{Real}", connectTimeout: scenario == "silent" ? TimeSpan.FromMilliseconds(500) : null);
        await using var client = new ZooKeeperClient(options);
        var states = new StateRecorder(client);

        // Issued before any connection exists: it waits for one, which must be the real server's.
        var path = Clients.UniquePath("fake-handshake");
        var created = await client.CreateAsync(path, "real"u8.ToArray()).AsTask().WithTimeout(TimeSpan.FromSeconds(15));
        Assert.Equal(path, created.Path);
        Assert.Equal(Real, client.CurrentServer);
        Assert.NotEqual(0, client.SessionId);

        // ShuffleServers = false: the fake, listed first, was tried before the real server took the session.
        var first = await fake.WaitForConnectionAsync(0, TimeSpan.FromSeconds(1));
        await states.WaitForAsync(c => c.Any(x => x.State == ConnectionState.Connected));
        var connectedAt = states.Snapshot().First(x => x.State == ConnectionState.Connected).Timestamp;
        Assert.True(first.AcceptedAt <= connectedAt, $"fake accepted at {first.AcceptedAt:O}, connected at {connectedAt:O}");
        Assert.Equal(Real, states.Snapshot().First(x => x.State == ConnectionState.Connected).Server);

        var data = await client.GetDataAsync(path).AsTask().WithTimeout();
        Assert.Equal("real", Encoding.UTF8.GetString(data.Data));
        await client.DeleteAsync(path).AsTask().WithTimeout();
        Assert.Null(await client.ExistsAsync(path).AsTask().WithTimeout());
        fake.AssertNoScriptErrors();
    }

    [Theory]
    [MemberData(nameof(FakeScenarios.ReplyFailureNames), MemberType = typeof(FakeScenarios))]
    public async Task Bad_reply_fails_pending_requests_then_the_client_moves_to_the_next_server(string scenario)
    {
        var s = FakeScenarios.ReplyFailures[scenario];
        const long fakeSessionId = 0x7a11_0000_0000_0001;
        await using var fake = new FakeZooKeeperServer(async c =>
        {
            if (c.Index > 0)
            {
                return; // later connections are closed at once
            }

            await c.HandshakeAsync(fakeSessionId);
            var requests = new List<FakeRequest>();
            for (var i = 0; i < s.RequestsToRead; i++)
            {
                requests.Add(await c.ReadRequestAsync());
            }

            await s.Misbehave(c, requests);
            if (s.ClientMustClose)
            {
                await c.WaitForClientCloseAsync();
            }
        });
        var logger = new RecordingLogger();
        await using var client = new ZooKeeperClient(FakeScenarios.Options($"{fake.Address},{Real}"), logger);
        var states = new StateRecorder(client);
        await client.ConnectAsync().WithTimeout(TimeSpan.FromSeconds(10));
        Assert.Equal(fake.Address, client.CurrentServer);
        Assert.Equal(fakeSessionId, client.SessionId);

        var pending = s.Issue(client);
        foreach (var task in pending)
        {
            if (s.ExpectConnectionLoss)
            {
                var ex = await Assert.ThrowsAsync<ConnectionLossException>(() => task.WithTimeout(TimeSpan.FromSeconds(5)));
                Assert.True(s.MessageContains is null || ex.Message.Contains(s.MessageContains, StringComparison.Ordinal), $"'{ex.Message}' should mention '{s.MessageContains}'");
            }
            else
            {
                await task.WithTimeout(TimeSpan.FromSeconds(5));
            }
        }

        var first = await fake.WaitForConnectionAsync(0);
        if (s.ClientMustClose)
        {
            // The client dropped the connection that sent garbage (the fake kept it open).
            await first.ClientClosed.WaitAsync(TimeSpan.FromSeconds(5));
        }

        if (s.IsProtocolError)
        {
            await Wait.UntilAsync(() => logger.Has(7, fake.Address), TimeSpan.FromSeconds(5), "a ProtocolError log entry naming the fake server; got:\n" + logger.Dump());
        }

        // The fake's session id means nothing to the real server (it answers "expired"); the client then starts a
        // new session there.
        await Wait.UntilAsync(() => client.State == ConnectionState.Connected && client.CurrentServer == Real, TimeSpan.FromSeconds(20), $"connected to the real server; states: {string.Join(",", states.States)}");
        Assert.NotEqual(fakeSessionId, client.SessionId);
        var path = Clients.UniquePath("fake-reply");
        Assert.Equal(path, (await client.CreateAsync(path, "ok"u8.ToArray()).AsTask().WithTimeout()).Path);
        Assert.Equal("ok", Encoding.UTF8.GetString((await client.GetDataAsync(path).AsTask().WithTimeout()).Data));
        await client.DeleteAsync(path).AsTask().WithTimeout();
        await states.WaitForAsync(c => c.SkipWhile(x => x.State != ConnectionState.Connected).Any(x => x.State == ConnectionState.Suspended), what: "SUSPENDED after the first CONNECTED");
        fake.AssertNoScriptErrors();
    }
}

/// <summary>Fake-server scenarios that need no real server; they run in parallel with the shared-server collection.</summary>
public sealed class FakeServerOnlyTests
{
    [Theory]
    [MemberData(nameof(FakeScenarios.HandshakeFailures), MemberType = typeof(FakeScenarios))]
    public async Task Handshake_failure_fails_the_connect_wait_in_bounded_time_and_is_retried(string scenario)
    {
        await using var fake = new FakeZooKeeperServer(c => FakeScenarios.MisbehaveInHandshakeAsync(c, scenario));
        var logger = new RecordingLogger();
        var client = new ZooKeeperClient(FakeScenarios.Options(fake.Address), logger);
        try
        {
            var sw = Stopwatch.StartNew();
            await Assert.ThrowsAsync<ConnectionLossException>(() => client.WaitUntilConnectedAsync(TimeSpan.FromSeconds(1.5)));
            Assert.InRange(sw.Elapsed, TimeSpan.FromSeconds(1.4), TimeSpan.FromSeconds(5));
            Assert.Equal(ConnectionState.Lost, client.State);
            Assert.Null(client.CurrentServer);
            Assert.Equal(0, client.SessionId);

            var first = await fake.WaitForConnectionAsync(0);
            if (FakeScenarios.FakeKeepsOpen(scenario))
            {
                // The client rejected the answer itself and closed the socket, long before its 5 s connect timeout.
                var closedAfter = await first.ClientClosed.WaitAsync(TimeSpan.FromSeconds(5));
                Assert.True(closedAfter < TimeSpan.FromSeconds(2.5), $"the client closed the bad connection only after {closedAfter}");
            }

            // ...and kept trying.
            await fake.WaitForConnectionAsync(1, TimeSpan.FromSeconds(5));
            await Wait.UntilAsync(() => logger.Has(3, fake.Address), TimeSpan.FromSeconds(5), "a ConnectFailed log entry naming the fake server; got:\n" + logger.Dump());
            fake.AssertNoScriptErrors();
        }
        finally
        {
            await client.DisposeAsync().AsTask().WithTimeout(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public async Task Silent_server_handshake_times_out_after_ConnectTimeout_and_the_ConnectRequest_is_well_formed()
    {
        await using var fake = new FakeZooKeeperServer(c => FakeScenarios.MisbehaveInHandshakeAsync(c, "silent"));
        var logger = new RecordingLogger();
        var client = new ZooKeeperClient(FakeScenarios.Options(fake.Address, connectTimeout: TimeSpan.FromMilliseconds(500)), logger);
        try
        {
            var sw = Stopwatch.StartNew();
            await Assert.ThrowsAsync<ConnectionLossException>(() => client.WaitUntilConnectedAsync(TimeSpan.FromSeconds(2)));
            Assert.InRange(sw.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(5));

            var first = await fake.WaitForConnectionAsync(0);
            // The fake's clock starts when its (possibly busy) loop takes the connection, so only the upper bound is
            // measured here; that the attempt ended because its connect timeout ran out is what the log line says.
            var closedAfter = await first.ClientClosed.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.True(closedAfter <= TimeSpan.FromSeconds(2.5), $"closed after {closedAfter}");
            await fake.WaitForConnectionAsync(1, TimeSpan.FromSeconds(5));
            await Wait.UntilAsync(() => logger.Has(3, "within the connect timeout (500 ms)"), TimeSpan.FromSeconds(5), "a ConnectFailed log entry saying the handshake timed out; got:\n" + logger.Dump());

            // The ConnectRequest (protocol doc §2) of a new session.
            var request = first.ConnectRequest!;
            Assert.Equal(0, request.ProtocolVersion);
            Assert.Equal(0, request.LastZxidSeen);
            Assert.Equal(4000, request.TimeoutMs);
            Assert.Equal(0, request.SessionId);
            Assert.Equal(new byte[16], request.Password);
            Assert.False(request.ReadOnly);
            fake.AssertNoScriptErrors();
        }
        finally
        {
            await client.DisposeAsync().AsTask().WithTimeout(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public async Task Reply_larger_than_MaxPacketSize_drops_the_connection_and_the_client_reconnects_resuming_the_session()
    {
        const long sessionId = 0x5e55_1011_0000_0042;
        var password = Jute.RandomBytes(42, 16);
        await using var fake = new FakeZooKeeperServer(async c =>
        {
            if (c.Index == 0)
            {
                await c.HandshakeAsync(sessionId, password: password);
                var r = await c.ReadRequestAsync();

                // A well-formed getData reply whose frame is one byte over the client's 1024-byte limit.
                var reply = Jute.Reply(r.Xid, body: Jute.DataBody(new byte[1024 + 1 - 16 - 4 - 68]));
                Assert.Equal(1025, reply.Length);
                await c.SendFrameAsync(reply);
                await c.WaitForClientCloseAsync();
            }
            else
            {
                await c.ReadConnectRequestAsync();
                await c.SendConnectResponseAsync(sessionId, password: password);
                await c.ServeAsync(r => c.SendReplyAsync(r.Xid, body: Jute.DataBody(Encoding.UTF8.GetBytes(r.Path))));
            }
        });
        await using var client = new ZooKeeperClient(FakeScenarios.Options(fake.Address, maxPacketSize: 1024));
        await client.ConnectAsync().WithTimeout(TimeSpan.FromSeconds(10));

        var ex = await Assert.ThrowsAsync<ConnectionLossException>(() => client.GetDataAsync("/big").AsTask().WithTimeout(TimeSpan.FromSeconds(5)));
        Assert.Contains("1025", ex.Message, StringComparison.Ordinal);
        Assert.Equal("/big", ex.Path);
        await (await fake.WaitForConnectionAsync(0)).ClientClosed.WaitAsync(TimeSpan.FromSeconds(5));

        // Reconnected, presenting the same session: id and password from the first handshake.
        var second = await fake.WaitForConnectionAsync(1, TimeSpan.FromSeconds(10));
        var result = await client.GetDataAsync("/small").AsTask().WithTimeout(TimeSpan.FromSeconds(10));
        Assert.Equal("/small", Encoding.UTF8.GetString(result.Data));
        Assert.NotNull(second.ConnectRequest);
        Assert.Equal(sessionId, second.ConnectRequest.SessionId);
        Assert.Equal(password, second.ConnectRequest.Password);
        Assert.Equal(sessionId, client.SessionId);
        Assert.Equal(ConnectionState.Connected, client.State);
        fake.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Reply_of_exactly_MaxPacketSize_is_accepted()
    {
        var data = Jute.RandomBytes(7, 1024 - 16 - 4 - 68);
        await using var fake = new FakeZooKeeperServer(async c =>
        {
            await c.HandshakeAsync(0x77);
            await c.ServeAsync(r => c.SendReplyAsync(r.Xid, body: Jute.DataBody(data)));
        });
        await using var client = new ZooKeeperClient(FakeScenarios.Options(fake.Address, maxPacketSize: 1024));
        await client.ConnectAsync().WithTimeout(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 3; i++)
        {
            var result = await client.GetDataAsync("/edge").AsTask().WithTimeout(TimeSpan.FromSeconds(5));
            Assert.Equal(data, result.Data);
            Assert.Equal(data.Length, result.Stat.DataLength);
        }

        Assert.Equal(1, fake.ConnectionCount);
        fake.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Replies_dribbled_byte_by_byte_and_replies_coalesced_into_one_write_are_decoded()
    {
        var big = Jute.RandomBytes(11, 300_000);
        await using var fake = new FakeZooKeeperServer(async c =>
        {
            await c.HandshakeAsync(0x1234);
            var r1 = await c.ReadRequestAsync();
            var r2 = await c.ReadRequestAsync();
            var r3 = await c.ReadRequestAsync();
            var all = Jute.Frame(Jute.Reply(r1.Xid, body: Jute.DataBody(big)))
                .Concat(Jute.Frame(Jute.Reply(r2.Xid, body: Jute.DataBody("two"u8.ToArray()))))
                .Concat(Jute.Frame(Jute.Reply(r3.Xid, body: Jute.DataBody("three"u8.ToArray()))))
                .ToArray();

            // The first 40 bytes one at a time (the length prefix and header split across segments), then chunks
            // whose boundaries fall anywhere, the last chunk holding the end of one reply and two whole replies.
            var pos = 0;
            for (; pos < 40; pos++)
            {
                await c.SendRawAsync(all.AsMemory(pos, 1));
            }

            var chunk = 1;
            while (pos < all.Length)
            {
                var n = Math.Min(chunk, all.Length - pos);
                await c.SendRawAsync(all.AsMemory(pos, n));
                pos += n;
                chunk = Math.Min(chunk * 3, 100_000);
            }

            await c.ServeAsync(_ => Task.CompletedTask);
        });
        await using var client = new ZooKeeperClient(FakeScenarios.Options(fake.Address));
        await client.ConnectAsync().WithTimeout(TimeSpan.FromSeconds(10));
        var t1 = client.GetDataAsync("/1").AsTask();
        var t2 = client.GetDataAsync("/2").AsTask();
        var t3 = client.GetDataAsync("/3").AsTask();
        Assert.Equal(big, (await t1.WithTimeout(TimeSpan.FromSeconds(10))).Data);
        Assert.Equal("two", Encoding.UTF8.GetString((await t2.WithTimeout(TimeSpan.FromSeconds(10))).Data));
        Assert.Equal("three", Encoding.UTF8.GetString((await t3.WithTimeout(TimeSpan.FromSeconds(10))).Data));
        Assert.Equal(1, fake.ConnectionCount);
        fake.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Server_that_goes_quiet_after_the_handshake_is_dropped_after_the_read_timeout()
    {
        const long sessionId = 0x91e7;
        await using var fake = new FakeZooKeeperServer(async c =>
        {
            if (c.Index == 0)
            {
                // Negotiates 1500 ms (read timeout 1000 ms), then ignores everything, pings included.
                await c.HandshakeAsync(sessionId, timeoutMs: 1500);
                await c.WaitForClientCloseAsync(TimeSpan.FromSeconds(10));
            }
            else
            {
                await c.HandshakeAsync(sessionId);
                await c.ServeAsync(r => c.SendReplyAsync(r.Xid, body: Jute.DataBody("back"u8.ToArray())));
            }
        });
        await using var client = new ZooKeeperClient(FakeScenarios.Options(fake.Address));
        await client.ConnectAsync().WithTimeout(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), client.NegotiatedSessionTimeout);
        var sw = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<ConnectionLossException>(() => client.GetDataAsync("/quiet").AsTask().WithTimeout(TimeSpan.FromSeconds(5)));
        Assert.InRange(sw.Elapsed, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(4));
        Assert.Contains("nothing received", ex.Message, StringComparison.Ordinal);
        var closedAfter = await (await fake.WaitForConnectionAsync(0)).ClientClosed.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.InRange(closedAfter, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(4));

        var result = await client.GetDataAsync("/again").AsTask().WithTimeout(TimeSpan.FromSeconds(10));
        Assert.Equal("back", Encoding.UTF8.GetString(result.Data));
        fake.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Pings_keep_an_idle_connection_alive()
    {
        var pings = new ConcurrentQueue<TimeSpan>();
        await using var fake = new FakeZooKeeperServer(async c =>
        {
            // Read timeout 2000 ms, ping after 1000 ms without sending. (Tighter values flake here: the test host
            // pins thread-pool threads and pool work can stall for ~1 s on a 2-core machine.)
            await c.HandshakeAsync(0x99, timeoutMs: 3000);
            while (true)
            {
                var frame = await c.ReadFrameAsync(TimeSpan.FromSeconds(10));
                var xid = BinaryPrimitives.ReadInt32BigEndian(frame);
                var type = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
                if (xid == -2)
                {
                    Assert.Equal(11, type);
                    Assert.Equal(8, frame.Length);
                    pings.Enqueue(c.Age);
                    await c.SendReplyAsync(-2);
                }
                else if (type == -11)
                {
                    await c.SendReplyAsync(xid);
                    return;
                }
                else
                {
                    await c.SendReplyAsync(xid, body: Jute.DataBody([]));
                }
            }
        });
        var logger = new RecordingLogger();
        await using var client = new ZooKeeperClient(FakeScenarios.Options(fake.Address), logger);
        await client.ConnectAsync().WithTimeout(TimeSpan.FromSeconds(10));

        // Longer than the read timeout without any request: pings must keep the connection up.
        await Wait.UntilAsync(() => pings.Count >= 3, TimeSpan.FromSeconds(10), "three pings");
        Assert.True(fake.ConnectionCount == 1, $"{fake.ConnectionCount} connections; log:\n{logger.Dump()}");
        Assert.Equal(ConnectionState.Connected, client.State);
        var times = pings.ToArray();
        Assert.True(times[0] >= TimeSpan.FromMilliseconds(800), $"first ping after {times[0]}: pinged although the connection was not idle for the ping interval");
        // The fake server stamps a ping when its loop reads it: on a busy box one can be read late and the next (sent
        // on time after the late reply) shortly after it. Over the whole run, though, there is at most one per interval.
        Assert.True(times[^1] - times[0] >= (times.Length - 1) * TimeSpan.FromMilliseconds(800), $"pings at {string.Join(", ", times)}: more than one per ping interval");

        await client.GetDataAsync("/still-here").AsTask().WithTimeout(TimeSpan.FromSeconds(5));
        fake.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Request_that_cannot_be_serialized_is_rejected_without_corrupting_the_stream()
    {
        await using var fake = new FakeZooKeeperServer(async c =>
        {
            await c.HandshakeAsync(0x5a);
            await c.ServeAsync(r => c.SendReplyAsync(r.Xid, body: Jute.DataBody(Encoding.UTF8.GetBytes(r.Path))));
        });
        await using var client = new ZooKeeperClient(FakeScenarios.Options(fake.Address));
        await client.ConnectAsync().WithTimeout(TimeSpan.FromSeconds(10));

        // A digest id cut in the middle of a surrogate pair (e.g. by a Substring) cannot be encoded as UTF-8.
        IReadOnlyList<Acl> badAcl = [new Acl(Permissions.All, new ZooKeeperId("digest", "user:\ud83d"))];
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await client.CreateAsync("/bad-acl", acl: badAcl));

        var result = await client.GetDataAsync("/after").AsTask().WithTimeout(TimeSpan.FromSeconds(5));
        Assert.Equal("/after", Encoding.UTF8.GetString(result.Data));
        var conn = await fake.WaitForConnectionAsync(0);
        Assert.Equal(1, fake.ConnectionCount);
        var request = Assert.Single(conn.Requests);
        Assert.Equal(4, request.Type);
        Assert.Equal("/after", request.Path);
        fake.AssertNoScriptErrors();
    }

    [Fact]
    public async Task Credentials_that_cannot_be_serialized_are_rejected_without_corrupting_the_stream_or_breaking_reconnects()
    {
        const long sessionId = 0xa17;
        await using var fake = new FakeZooKeeperServer(async c =>
        {
            await c.HandshakeAsync(sessionId);
            if (c.Index == 0)
            {
                // Answer one request, then drop the connection to force a reconnect.
                var r = await c.ReadRequestAsync();
                await c.SendReplyAsync(r.Xid, body: Jute.DataBody(Encoding.UTF8.GetBytes(r.Path)));
                return;
            }

            await c.ServeAsync(r => c.SendReplyAsync(r.Xid, body: Jute.DataBody(Encoding.UTF8.GetBytes(r.Path))));
        });
        await using var client = new ZooKeeperClient(FakeScenarios.Options(fake.Address));
        await client.ConnectAsync().WithTimeout(TimeSpan.FromSeconds(10));

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await client.AddAuthAsync(new AuthInfo("digest\ud800", [1, 2, 3])).WithTimeout(TimeSpan.FromSeconds(5)));

        var first = await client.GetDataAsync("/first").AsTask().WithTimeout(TimeSpan.FromSeconds(5));
        Assert.Equal("/first", Encoding.UTF8.GetString(first.Data));

        // The fake closes the connection now; the client must come back.
        await fake.WaitForConnectionAsync(1, TimeSpan.FromSeconds(10));
        var second = await client.GetDataAsync("/second").AsTask().WithTimeout(TimeSpan.FromSeconds(8));
        Assert.Equal("/second", Encoding.UTF8.GetString(second.Data));
        fake.AssertNoScriptErrors();
    }
}

/// <summary>Scripts and options shared by the fake-server tests.</summary>
public static class FakeScenarios
{
    internal static ZooKeeperClientOptions Options(string connectString, TimeSpan? connectTimeout = null, int? maxPacketSize = null) => new()
    {
        ConnectString = connectString,
        ShuffleServers = false,
        SessionTimeout = TimeSpan.FromSeconds(4),
        ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(5),
        ReconnectBackoff = TimeSpan.FromMilliseconds(100),
        DisconnectedRequestTimeout = TimeSpan.FromSeconds(15),
        MaxPacketSize = maxPacketSize ?? ZooKeeperClientOptions.DefaultMaxPacketSize,
    };

    // ------------------------------------------------------------------ handshake

    public static TheoryData<string> HandshakeFailures => new()
    {
        "garbage",
        "garbage-with-plausible-length",
        "truncated-then-close",
        "length-0x7fffffff",
        "length-minus-1",
        "length-int-min",
        "length-below-header",
        "refusal-header",
        "short-password",
        "closed-at-once",
        "reset-at-once",
    };

    /// <summary>True when the fake leaves the socket open after misbehaving, so closing it is up to the client.</summary>
    public static bool FakeKeepsOpen(string scenario) => scenario is not ("truncated-then-close" or "closed-at-once" or "reset-at-once");

    internal static async Task MisbehaveInHandshakeAsync(FakeConnection c, string scenario)
    {
        await c.ReadConnectRequestAsync();
        switch (scenario)
        {
            case "garbage":
                {
                    // Seeded noise (different per connection); its first int is never a plausible frame length.
                    var junk = Jute.RandomBytes(1000 + c.Index, 64);
                    var len = BinaryPrimitives.ReadInt32BigEndian(junk);
                    if (len is >= 16 and <= 4096)
                    {
                        junk[0] |= 0x80;
                    }

                    await c.SendRawAsync(junk);
                    break;
                }

            case "garbage-with-plausible-length":
                {
                    // A frame of the right size (37) full of noise, with a positive timeout (so it is not an
                    // "expired" answer) and a password length that is never 16.
                    var junk = Jute.RandomBytes(2000 + c.Index, 37);
                    junk[4] = (byte)((junk[4] & 0x7f) | 0x01);
                    if (BinaryPrimitives.ReadInt32BigEndian(junk.AsSpan(16)) == 16)
                    {
                        junk[16] = 0x40;
                    }

                    await c.SendFrameAsync(junk);
                    break;
                }

            case "truncated-then-close":
                {
                    var valid = Jute.Frame(new JuteWriter().Int(0).Int(4000).Long(0x42).Buffer(new byte[16]).Bool(false).ToArray());
                    await c.SendRawAsync(valid.AsMemory(0, 14));
                    return; // closes
                }

            case "length-0x7fffffff":
                await c.SendRawAsync(Jute.Int32(int.MaxValue).Concat(Jute.RandomBytes(3, 64)).ToArray());
                break;
            case "length-minus-1":
                await c.SendRawAsync(Jute.Int32(-1).Concat(Jute.RandomBytes(4, 64)).ToArray());
                break;
            case "length-int-min":
                await c.SendRawAsync(Jute.Int32(int.MinValue).Concat(Jute.RandomBytes(5, 64)).ToArray());
                break;
            case "length-below-header":
                await c.SendFrameAsync(new byte[8]);
                break;
            case "refusal-header":
                // A bare ReplyHeader instead of a ConnectResponse: the server refusing the session (NotReadOnly).
                await c.SendFrameAsync(Jute.Reply(0, err: -119));
                break;
            case "short-password":
                await c.SendFrameAsync(new JuteWriter().Int(0).Int(4000).Long(0x42).Buffer(new byte[8]).Bool(false).ToArray());
                break;
            case "closed-at-once":
                return;
            case "reset-at-once":
                c.Reset();
                return;
            case "silent":
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(scenario), scenario, null);
        }

        await c.WaitForClientCloseAsync(TimeSpan.FromSeconds(30));
    }

    // ------------------------------------------------------------------ after the handshake

    /// <summary>What the fake does after a valid handshake, and what the client must see.</summary>
    internal sealed record ReplyScenario(
        int RequestsToRead,
        Func<ZooKeeperClient, Task[]> Issue,
        Func<FakeConnection, IReadOnlyList<FakeRequest>, Task> Misbehave,
        bool ExpectConnectionLoss = true,
        bool ClientMustClose = true,
        bool IsProtocolError = true,
        string? MessageContains = null);

    private static Task[] GetData(ZooKeeperClient client, params string[] paths) => [.. paths.Select(p => client.GetDataAsync(p).AsTask())];

    internal static readonly Dictionary<string, ReplyScenario> ReplyFailures = new()
    {
        ["out-of-order-xids"] = new(
            2,
            c => GetData(c, "/a", "/b"),
            async (f, r) =>
            {
                await f.SendReplyAsync(r[1].Xid, body: Jute.DataBody("b"u8.ToArray()));
                await f.SendReplyAsync(r[0].Xid, body: Jute.DataBody("a"u8.ToArray()));
            },
            MessageContains: "out of order"),
        ["truncated-reply-then-close"] = new(
            1,
            c => GetData(c, "/a"),
            (f, r) => f.SendRawAsync(Jute.Frame(Jute.Reply(r[0].Xid, body: Jute.DataBody("abc"u8.ToArray()))).AsMemory(0, 30)),
            ClientMustClose: false,
            IsProtocolError: false),
        ["reset-mid-reply"] = new(
            1,
            c => GetData(c, "/a"),
            async (f, r) =>
            {
                await f.SendRawAsync(Jute.Frame(Jute.Reply(r[0].Xid, body: Jute.DataBody("abc"u8.ToArray()))).AsMemory(0, 10));
                f.Reset();
            },
            ClientMustClose: false,
            IsProtocolError: false),
        ["reply-length-0x7fffffff"] = new(
            1,
            c => GetData(c, "/a"),
            (f, r) => f.SendRawAsync(Jute.Int32(int.MaxValue).Concat(Jute.Reply(r[0].Xid)).ToArray()),
            MessageContains: "2147483647"),
        ["reply-length-minus-1"] = new(
            1,
            c => GetData(c, "/a"),
            (f, r) => f.SendRawAsync(Jute.Int32(-1).Concat(Jute.Reply(r[0].Xid)).ToArray()),
            MessageContains: "-1"),
        ["reply-length-int-min"] = new(
            1,
            c => GetData(c, "/a"),
            (f, r) => f.SendRawAsync(Jute.Int32(int.MinValue).Concat(Jute.Reply(r[0].Xid)).ToArray()),
            MessageContains: "-2147483648"),
        ["reply-shorter-than-header"] = new(
            1,
            c => GetData(c, "/a"),
            (f, r) => f.SendFrameAsync(Jute.Int32(r[0].Xid).Concat(new byte[8]).ToArray())),
        ["getdata-buffer-overruns-frame"] = new(
            1,
            c => GetData(c, "/a"),
            (f, r) => f.SendReplyAsync(r[0].Xid, body: Jute.Int32(1000).Concat(new byte[10]).ToArray()),
            MessageContains: "malformed"),
        ["getdata-stat-truncated"] = new(
            1,
            c => GetData(c, "/a"),
            (f, r) => f.SendReplyAsync(r[0].Xid, body: Jute.DataBody("abc"u8.ToArray())[..^30]),
            MessageContains: "malformed"),
        ["getchildren-count-2^31-1"] = new(
            1,
            c => [c.GetChildrenAsync("/").AsTask()],
            (f, r) => f.SendReplyAsync(r[0].Xid, body: Jute.Int32(int.MaxValue).Concat(new byte[8]).ToArray()),
            MessageContains: "2147483647"),
        ["create-path-invalid-utf8"] = new(
            1,
            c => [c.CreateAsync("/x").AsTask()],
            (f, r) => f.SendReplyAsync(r[0].Xid, body: new JuteWriter().Int(3).Raw([0xff, 0xfe, 0xfd]).Stat(Jute.SampleStat).ToArray()),
            MessageContains: "UTF-8"),
        ["notification-malformed"] = new(
            1,
            c => GetData(c, "/a"),
            (f, r) => f.SendReplyAsync(-1, body: new JuteWriter().Int(3).Int(3).Int(500).Raw("/abc"u8).ToArray(), zxid: -1)),
        ["duplicate-reply"] = new(
            1,
            c => GetData(c, "/a"),
            async (f, r) =>
            {
                await f.SendReplyAsync(r[0].Xid, body: Jute.DataBody("a"u8.ToArray()));
                await f.SendReplyAsync(r[0].Xid, body: Jute.DataBody("a"u8.ToArray()));
            },
            ExpectConnectionLoss: false),
    };

    public static TheoryData<string> ReplyFailureNames
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var name in ReplyFailures.Keys)
            {
                data.Add(name);
            }

            return data;
        }
    }
}

/// <summary>Keeps every log entry of a client.</summary>
internal sealed class RecordingLogger : ILogger<ZooKeeperClient>
{
    private readonly ConcurrentQueue<(LogLevel Level, EventId Id, string Message, DateTimeOffset At)> _entries = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => _entries.Enqueue((logLevel, eventId, formatter(state, exception), DateTimeOffset.UtcNow));

    /// <summary>True when an entry with this event id mentions <paramref name="text"/>.</summary>
    public bool Has(int eventId, string text) => _entries.Any(e => e.Id.Id == eventId && e.Message.Contains(text, StringComparison.Ordinal));

    public string Dump() => string.Join("\n", _entries.Select(e => $"{e.At:HH:mm:ss.fff} {e.Level} {e.Id.Id}: {e.Message}"));

    /// <summary>The entries with this event id.</summary>
    public List<(LogLevel Level, string Message, DateTimeOffset At)> Of(int eventId) => [.. _entries.Where(e => e.Id.Id == eventId).Select(e => (e.Level, e.Message, e.At))];
}
