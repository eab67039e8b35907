using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Tests;

/// <summary>
/// The client's connect-string parser and the container's resolver share one server-entry grammar
/// (<see cref="ConnectionString.ParseServer"/>): one host table goes through both, and through each of the container's
/// three sources (URL, configuration key, environment variable). They must accept and refuse the same entries; the
/// container's error names the value and its source and carries the grammar's own message.
/// </summary>
public sealed class ServerGrammarAgreementTests
{
    /// <summary>Entries with no ',', '/', '?', '#', '@' or whitespace (those are list or URL matters, not the entry grammar).</summary>
    private static readonly (string Entry, bool Accepted)[] Hosts =
    [
        ("zk", true),
        ("zk:2181", true),
        ("zookeeper-1.example.com:65535", true),
        ("ZK_1.Example.COM:2", true),
        ("my_host", true),
        ("1a.example", true),
        ("xn--bcher-kva.example", true),
        ("127.0.0.1", true),
        ("0.0.0.0:1", true),
        ("255.255.255.255", true),
        ("h:02181", true),
        ("[::1]", true),
        ("[2001:db8::7]:2181", true),
        ("[::ffff:127.0.0.1]:7", true),
        ("[fe80::1%eth0]:2181", true),
        ("[fe80::1%3]", true),
        (new string('a', 63) + ".example", true),

        ("zk.", false),
        ("zk.example.com.:2181", false),
        (".zk", false),
        ("a..b", false),
        ("-zk", false),
        ("zk-:2181", false),
        ("1.8", false),
        ("0", false),
        ("010.0.0.1", false),
        ("300.1.1.1", false),
        ("1.2.3.4.", false),
        ("0x7f.1", false),
        ("0x7f000001:2181", false),
        ("h%eth0", false),
        ("zk!1", false),
        ("h\u00e9", false),
        ("[zk1]", false),
        ("[1.2.3.4]:2181", false),
        ("[:::]", false),
        ("[::1%]", false),
        ("[::1", false),
        ("[::1]2181", false),
        ("::1", false),
        ("fe80::1:2181", false),
        (":2181", false),
        ("[]:2181", false),
        ("zk:0", false),
        ("zk:65536", false),
        ("zk:+1", false),
        ("zk:", false),
        ("zk:http", false),
        (new string('a', 64) + ".example", false),
        (string.Join('.', Enumerable.Repeat(new string('a', 63), 4)), false),
    ];

    public static TheoryData<string> Entries => new(Hosts.Select(h => h.Entry));

    [Fact]
    public void The_table_covers_both_answers()
    {
        Assert.True(Hosts.Count(h => h.Accepted) >= 15);
        Assert.True(Hosts.Count(h => !h.Accepted) >= 30);
        Assert.Equal(Hosts.Length, Hosts.Select(h => h.Entry).Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public void Client_and_container_agree(string entry)
    {
        var accepted = Hosts.Single(h => h.Entry == entry).Accepted;
        var url = $"zookeeper://{entry}/x";
        (string Origin, Func<ZooKeeperTarget> Resolve)[] sources =
        [
            ($"URL '{url}'", () => ZooKeeperTargetResolver.Resolve(url, null, environment: ResolutionTests.NoEnvironment)),
            ("configuration key 'zookeeper:servers'", () => ZooKeeperTargetResolver.Resolve(null, ResolutionTests.Build(("zookeeper:servers", entry)), environment: ResolutionTests.NoEnvironment)),
            ("environment variable ASAB_ZOOKEEPER_SERVERS", () => ZooKeeperTargetResolver.Resolve(null, null, environment: _ => entry)),
        ];

        if (accepted)
        {
            var client = ConnectionString.Parse(entry);
            foreach (var (origin, resolve) in sources)
            {
                var target = resolve();
                Assert.Equal(client.Servers, target.Servers);
                Assert.Equal(origin, target.ServersSource);
            }

            return;
        }

        var clientError = Assert.Throws<FormatException>(() => ConnectionString.ParseServer(entry));
        Assert.Throws<FormatException>(() => ConnectionString.Parse(entry));
        foreach (var (origin, resolve) in sources)
        {
            var e = Assert.Throws<ZooKeeperConfigurationException>(() => resolve());
            Assert.Equal(origin, e.Origin);
            Assert.Equal(entry, e.Value);
            Assert.Contains(origin, e.Message, StringComparison.Ordinal);
            Assert.Contains(clientError.Message, e.Message, StringComparison.Ordinal); // wrapped, not re-validated
            Assert.Same(typeof(FormatException), e.InnerException?.GetType());
        }
    }
}
