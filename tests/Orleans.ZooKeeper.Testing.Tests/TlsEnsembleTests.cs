using System.Diagnostics;
using System.Security.Authentication;
using Xunit.Abstractions;

namespace Orleans.ZooKeeper.Testing.Tests;

public class TlsEnsembleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task EveryNodeOfATlsEnsembleCompletesHandshakeAndConnectRequest()
    {
        CancellationToken ct = TestUtil.Timeout(180);
        TestCertificates certs = TestCertificates.Shared;
        var options = new ZooKeeperEnsembleOptions { Tls = certs.CreateServerTlsOptions(protocols: ZooKeeperTlsProtocols.Tls12And13) };
        var clock = Stopwatch.StartNew();
        await using ZooKeeperEnsemble ensemble = await ZooKeeperEnsemble.StartNewAsync(options, ct);
        output.WriteLine($"TLS ensemble serving in {clock.ElapsedMilliseconds} ms: {ensemble.SecureConnectString}");

        Assert.All(ensemble.Nodes, node => Assert.True(node.IsTlsEnabled));
        Assert.Equal(string.Join(',', ensemble.Nodes.Select(n => "127.0.0.1:" + n.SecurePort)), ensemble.SecureConnectString);
        Assert.Equal(12, ensemble.Nodes.SelectMany(n => new[] { n.Port, n.SecurePort, n.PeerPort, n.ElectionPort }).Distinct().Count());
        ZooKeeperMode[] modes = await ensemble.GetModesAsync(ct);
        Assert.Single(modes, m => m == ZooKeeperMode.Leader);

        var client = new TlsClient(SslProtocols.Tls13, certs.Ca);
        foreach (ZooKeeperEnsembleNode node in ensemble.Nodes)
        {
            clock.Restart();
            await using RawSession session = await RawSession.ConnectTlsAsync(node.SecurePort, client.Options, 6000, ct);
            output.WriteLine($"node {node.Index} ({modes[node.Index]}): TLS session 0x{session.SessionId:x} in {clock.ElapsedMilliseconds} ms");
            Assert.Equal(SslProtocols.Tls13, session.Tls!.SslProtocol);
            Assert.NotEqual(0, session.SessionId);
            Assert.Same(node, await ensemble.FindNodeServingSessionAsync(session.SessionId, client.Options, ct));
            Assert.Null(await ensemble.FindNodeServingSessionAsync(session.SessionId, ct));
        }

        // Without TLS options the ensemble has no secure connect string.
        await using var plain = new ZooKeeperEnsemble();
        Assert.Throws<InvalidOperationException>(() => plain.SecureConnectString);
    }
}
