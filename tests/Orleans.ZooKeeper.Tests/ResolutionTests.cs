using System.Security.Authentication;
using System.Text;
using Microsoft.Extensions.Configuration;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Tests;

/// <summary>
/// Table-driven tests of <see cref="ZooKeeperTargetResolver.Resolve"/>: every case names a URL, a configuration
/// (in-memory, section <c>zookeeper</c> unless stated), a fake environment, and either the expected target or the
/// expected error (its <see cref="ZooKeeperConfigurationException.Origin"/>, <see cref="ZooKeeperConfigurationException.Value"/>
/// and fragments of its message). The real process environment is never read here.
/// </summary>
public sealed class ResolutionTests
{
    private const string Env = "environment variable ASAB_ZOOKEEPER_SERVERS";
    private const string CfgServers = "configuration key 'zookeeper:servers'";
    private const string CfgPath = "configuration key 'zookeeper:path'";
    private const string CfgTimeout = "configuration key 'zookeeper:session_timeout'";
    private const string CfgConnectTimeout = "configuration key 'zookeeper:connect_timeout'";
    private const string CfgTls = "configuration key 'zookeeper:tls'";
    private const string CfgAsabTimeout = "configuration key 'zookeeper:timeout'";
    private const string DefaultPathSource = "the default path '/orleans'";
    private const string Three = "zookeeper-1:2181,zookeeper-2:2181,zookeeper-3:2181";
    private const string FullUrl = "zookeeper://zookeeper-1:2181,zookeeper-2:2181,zookeeper-3:2181/etc/configs/file1";
    private const string Secret = "pa55-w0rd-do-not-print";

    public sealed class Case
    {
        public required string Name { get; init; }

        public string? Url { get; init; }

        public Dictionary<string, string?>? Config { get; init; }

        public Dictionary<string, string>? Environment { get; init; }

        public string Section { get; init; } = ZooKeeperTargetResolver.DefaultSectionName;

        // Success
        public string? Servers { get; init; }

        public string? ServersSource { get; init; }

        public string? Path { get; init; }

        public string? PathSource { get; init; }

        public TimeSpan? SessionTimeout { get; init; }

        /// <summary>The expected connect timeout; null: not set (the client's default).</summary>
        public TimeSpan? ConnectTimeout { get; init; }

        /// <summary>The expected TLS settings; null: TLS off.</summary>
        public TlsExpectation? Tls { get; init; }

        // Failure
        public string? ErrorOrigin { get; init; }

        public string? ErrorValue { get; init; }

        public bool OriginInMessage { get; init; } = true;

        public string[] ErrorFragments { get; init; } = [];

        public override string ToString() => Name;
    }

    private static Dictionary<string, string?> Z(params (string Key, string? Value)[] entries)
        => entries.ToDictionary(e => "zookeeper:" + e.Key, e => e.Value);

    private static Dictionary<string, string> E(string? servers)
        => servers is null ? [] : new() { [ZooKeeperTargetResolver.ServersEnvironmentVariable] = servers };

    private static string U(string url) => $"URL '{url}'";

    private static Case Ok(string name, string? url, Dictionary<string, string?>? config, Dictionary<string, string>? env,
        string servers, string serversSource, string path, string pathSource, TimeSpan? timeout = null, string section = "zookeeper")
        => new()
        {
            Name = name, Url = url, Config = config, Environment = env, Section = section,
            Servers = servers, ServersSource = serversSource, Path = path, PathSource = pathSource,
            SessionTimeout = timeout ?? TimeSpan.FromSeconds(10),
        };

    /// <summary>What a TLS case resolves to (files, whether a key password is set, host name check, versions).</summary>
    public sealed record TlsExpectation(string? Ca = null, string? Cert = null, string? Key = null, bool Password = false, bool CheckHostName = true, SslProtocols Protocols = SslProtocols.None);

    /// <summary>A TLS case: servers <c>zk:1</c> from the section, default path, the given TLS keys.</summary>
    private static Case OkTls(string name, TlsExpectation? expected, params (string Key, string? Value)[] tlsKeys)
        => new()
        {
            Name = name, Config = Z([("servers", "zk:1"), .. tlsKeys]), Environment = E(null),
            Servers = "zk:1", ServersSource = CfgServers, Path = "/orleans", PathSource = DefaultPathSource,
            SessionTimeout = TimeSpan.FromSeconds(10), Tls = expected,
        };

    /// <summary>A <c>connect_timeout</c> case: servers <c>zk:1</c> from the section, default path, the given timeouts.</summary>
    private static Case OkConnectTimeout(string name, string connectTimeout, TimeSpan expected, string? sessionTimeout = null, TimeSpan? expectedSession = null)
        => new()
        {
            Name = name, Config = Z(("servers", "zk:1"), ("connect_timeout", connectTimeout), ("session_timeout", sessionTimeout)), Environment = E(null),
            Servers = "zk:1", ServersSource = CfgServers, Path = "/orleans", PathSource = DefaultPathSource,
            SessionTimeout = expectedSession ?? TimeSpan.FromSeconds(10), ConnectTimeout = expected,
        };

    /// <summary>A failing TLS case: servers <c>zk:1</c> from the section, the given TLS keys.</summary>
    private static Case FailTls(string name, string origin, string? value, string[] fragments, params (string Key, string? Value)[] tlsKeys)
        => Fail(name, null, Z([("servers", "zk:1"), .. tlsKeys]), E(null), origin, value, fragments);

    private static Case Fail(string name, string? url, Dictionary<string, string?>? config, Dictionary<string, string>? env,
        string origin, string? value, params string[] fragments)
        => new()
        {
            Name = name, Url = url, Config = config, Environment = env,
            ErrorOrigin = origin, ErrorValue = value, ErrorFragments = fragments,
        };

    private static readonly Case[] AllCases =
    [
        // ---- Valid: the three URL forms ----
        Ok("full URL: servers and absolute path from the URL", FullUrl, null, E(null),
            Three, U(FullUrl), "/etc/configs/file1", U(FullUrl)),
        Ok("full URL wins over section and environment", FullUrl, Z(("servers", "other:1"), ("path", "/other")), E("env:2"),
            Three, U(FullUrl), "/etc/configs/file1", U(FullUrl)),
        Ok("zookeeper:/// takes servers from the section", "zookeeper:///etc/configs/file1", Z(("servers", "zk:2181")), E("env:2181"),
            "zk:2181", CfgServers, "/etc/configs/file1", U("zookeeper:///etc/configs/file1")),
        Ok("zookeeper:/// takes servers from the environment when the section has none", "zookeeper:///etc/configs/file1", Z(("path", "/ignored")), E("zookeeper-1:2181,zookeeper-2:2181"),
            "zookeeper-1:2181,zookeeper-2:2181", Env, "/etc/configs/file1", U("zookeeper:///etc/configs/file1")),
        Ok("zookeeper:/// with no configuration at all uses the environment", "zookeeper:///x", null, E("env-1:2181"),
            "env-1:2181", Env, "/x", U("zookeeper:///x")),
        Ok("relative URL joins the section path written without '/'", "zookeeper:./etc/configs/file1", Z(("servers", Three), ("path", "myfolder")), E(null),
            Three, CfgServers, "/myfolder/etc/configs/file1", U("zookeeper:./etc/configs/file1") + " relative to " + CfgPath),
        Ok("relative URL joins the section path written with '/'", "zookeeper:./etc/configs/file1", Z(("servers", Three), ("path", "/myfolder")), E(null),
            Three, CfgServers, "/myfolder/etc/configs/file1", U("zookeeper:./etc/configs/file1") + " relative to " + CfgPath),
        Ok("relative URL without a section path is relative to the default path", "zookeeper:./etc/configs/file1", Z(("servers", Three)), E(null),
            Three, CfgServers, "/orleans/etc/configs/file1", U("zookeeper:./etc/configs/file1") + " relative to " + DefaultPathSource),
        Ok("relative URL below the root section path", "zookeeper:./a/b", Z(("servers", "zk:1"), ("path", "/")), E(null),
            "zk:1", CfgServers, "/a/b", U("zookeeper:./a/b") + " relative to " + CfgPath),
        Ok("relative URL takes servers from the environment", "zookeeper:./cfg", Z(("path", "app")), E("zk-env:2181"),
            "zk-env:2181", Env, "/app/cfg", U("zookeeper:./cfg") + " relative to " + CfgPath),
        Ok("relative URL keeps characters ZooKeeper allows", "zookeeper:./a:b/c@d/e-f_g.h", Z(("servers", "zk:1")), E(null),
            "zk:1", CfgServers, "/orleans/a:b/c@d/e-f_g.h", U("zookeeper:./a:b/c@d/e-f_g.h") + " relative to " + DefaultPathSource),
        Ok("URL with servers and no path takes the section path", "zookeeper://zk1:2181,zk2:2182", Z(("path", "myfolder")), E(null),
            "zk1:2181,zk2:2182", U("zookeeper://zk1:2181,zk2:2182"), "/myfolder", CfgPath),
        Ok("URL with servers and no path, no section: default path", "zookeeper://zk1:2181", null, E(null),
            "zk1:2181", U("zookeeper://zk1:2181"), "/orleans", DefaultPathSource),
        Ok("URL with a root path", "zookeeper://zk1:2181/", null, E(null),
            "zk1:2181", U("zookeeper://zk1:2181/"), "/", U("zookeeper://zk1:2181/")),
        Ok("zookeeper:/// alone is the root path", "zookeeper:///", Z(("servers", "zk:7")), E(null),
            "zk:7", CfgServers, "/", U("zookeeper:///")),
        Ok("scheme is case-insensitive", "ZooKeeper://zk:2181/x", null, E(null),
            "zk:2181", U("ZooKeeper://zk:2181/x"), "/x", U("ZooKeeper://zk:2181/x")),

        // ---- Valid: no URL ----
        Ok("no URL: servers and path from the section", null, Z(("servers", Three), ("path", "/etc/app")), E("env:1"),
            Three, CfgServers, "/etc/app", CfgPath),
        Ok("no URL: section path without leading slash", null, Z(("servers", "zk:2181"), ("path", "myfolder")), E(null),
            "zk:2181", CfgServers, "/myfolder", CfgPath),
        Ok("no URL: default path", null, Z(("servers", "zk:2181")), E(null),
            "zk:2181", CfgServers, "/orleans", DefaultPathSource),
        Ok("no URL, no configuration: environment servers and default path", null, null, E("zookeeper-1:2181,zookeeper-2:2181"),
            "zookeeper-1:2181,zookeeper-2:2181", Env, "/orleans", DefaultPathSource),
        Ok("empty section servers count as unset and fall through to the environment", null, Z(("servers", ""), ("path", "")), E("zk-env:1"),
            "zk-env:1", Env, "/orleans", DefaultPathSource),
        Ok("interior space in a configured path is a valid znode name", null, Z(("servers", "zk:1"), ("path", "my folder")), E(null),
            "zk:1", CfgServers, "/my folder", CfgPath),

        // ---- Valid: host forms ----
        Ok("default port 2181", "zookeeper://zk-a,zk-b:2182/x", null, E(null),
            "zk-a:2181,zk-b:2182", U("zookeeper://zk-a,zk-b:2182/x"), "/x", U("zookeeper://zk-a,zk-b:2182/x")),
        Ok("IPv6 with port", "zookeeper://[::1]:2182,[2001:db8::7]:2181/x", null, E(null),
            "[::1]:2182,[2001:db8::7]:2181", U("zookeeper://[::1]:2182,[2001:db8::7]:2181/x"), "/x", U("zookeeper://[::1]:2182,[2001:db8::7]:2181/x")),
        Ok("IPv6 without port", "zookeeper://[::1]/x", null, E(null),
            "[::1]:2181", U("zookeeper://[::1]/x"), "/x", U("zookeeper://[::1]/x")),
        Ok("IPv6 with zone in the section", null, Z(("servers", "[fe80::1%eth0]:2181,127.0.0.1")), E(null),
            "[fe80::1%eth0]:2181,127.0.0.1:2181", CfgServers, "/orleans", DefaultPathSource),
        Ok("labels starting with a digit and IPv4-mapped IPv6", "zookeeper://1a.example,[::ffff:10.0.0.1]:2/x", null, E(null),
            "1a.example:2181,[::ffff:10.0.0.1]:2", U("zookeeper://1a.example,[::ffff:10.0.0.1]:2/x"), "/x", U("zookeeper://1a.example,[::ffff:10.0.0.1]:2/x")),
        Ok("IPv4 and host names with '_', '-' and port 65535", "zookeeper://10.0.0.2:1,zoo_keeper-1.example.com:65535/x", null, E(null),
            "10.0.0.2:1,zoo_keeper-1.example.com:65535", U("zookeeper://10.0.0.2:1,zoo_keeper-1.example.com:65535/x"), "/x", U("zookeeper://10.0.0.2:1,zoo_keeper-1.example.com:65535/x")),

        // ---- Valid: session timeout ----
        Ok("session timeout in seconds with a fraction", null, Z(("servers", "zk:1"), ("session_timeout", "2.5")), E(null),
            "zk:1", CfgServers, "/orleans", DefaultPathSource, TimeSpan.FromSeconds(2.5)),
        Ok("session timeout as whole seconds", null, Z(("servers", "zk:1"), ("session_timeout", "10")), E(null),
            "zk:1", CfgServers, "/orleans", DefaultPathSource, TimeSpan.FromSeconds(10)),
        Ok("session timeout as a TimeSpan", null, Z(("servers", "zk:1"), ("session_timeout", "00:01:30")), E(null),
            "zk:1", CfgServers, "/orleans", DefaultPathSource, TimeSpan.FromSeconds(90)),

        // ---- Valid: asab's `timeout` key and duration syntax (kazoo's session timeout, default 10s) ----
        Ok("asab timeout with a seconds unit", null, Z(("servers", "zk:1"), ("timeout", "10s")), E(null),
            "zk:1", CfgServers, "/orleans", DefaultPathSource, TimeSpan.FromSeconds(10)),
        Ok("asab timeout in milliseconds", null, Z(("servers", "zk:1"), ("timeout", "1500ms")), E(null),
            "zk:1", CfgServers, "/orleans", DefaultPathSource, TimeSpan.FromMilliseconds(1500)),
        Ok("asab timeout in fractional minutes", null, Z(("servers", "zk:1"), ("timeout", "1.5m")), E(null),
            "zk:1", CfgServers, "/orleans", DefaultPathSource, TimeSpan.FromSeconds(90)),
        Ok("asab timeout with a space before the unit", null, Z(("servers", "zk:1"), ("timeout", "20 s")), E(null),
            "zk:1", CfgServers, "/orleans", DefaultPathSource, TimeSpan.FromSeconds(20)),
        Ok("asab timeout as plain seconds", null, Z(("servers", "zk:1"), ("timeout", "7")), E(null),
            "zk:1", CfgServers, "/orleans", DefaultPathSource, TimeSpan.FromSeconds(7)),
        Ok("asab timeout in hours", null, Z(("servers", "zk:1"), ("timeout", "1h")), E(null),
            "zk:1", CfgServers, "/orleans", DefaultPathSource, TimeSpan.FromHours(1)),
        Ok("session_timeout in asab's duration syntax", null, Z(("servers", "zk:1"), ("session_timeout", "20s")), E(null),
            "zk:1", CfgServers, "/orleans", DefaultPathSource, TimeSpan.FromSeconds(20)),
        Ok("timeout and session_timeout naming the same duration", null, Z(("servers", "zk:1"), ("timeout", "10s"), ("session_timeout", "00:00:10")), E(null),
            "zk:1", CfgServers, "/orleans", DefaultPathSource, TimeSpan.FromSeconds(10)),
        OkConnectTimeout("connect timeout with a unit", "2s", TimeSpan.FromSeconds(2)),
        OkConnectTimeout("connect timeout in milliseconds", "250ms", TimeSpan.FromMilliseconds(250)),

        // ---- Valid: a container's own section falls back to [zookeeper] for servers and path (as asab does) ----
        Ok("named section without servers takes [zookeeper] servers before the environment", null,
            new() { ["zookeeper:servers"] = "main:1", ["zookeeper:path"] = "/main", ["archive:path"] = "/arch" }, E("env:1"),
            "main:1", CfgServers, "/arch", "configuration key 'archive:path'", section: "archive"),
        Ok("named section without path takes [zookeeper] path", null,
            new() { ["zookeeper:path"] = "myfolder", ["archive:servers"] = "a:1" }, E(null),
            "a:1", "configuration key 'archive:servers'", "/myfolder", CfgPath, section: "archive"),
        Ok("named section: a relative URL joins [zookeeper] path", "zookeeper:./x",
            new() { ["zookeeper:path"] = "myfolder", ["archive:servers"] = "a:1" }, E(null),
            "a:1", "configuration key 'archive:servers'", "/myfolder/x", U("zookeeper:./x") + " relative to " + CfgPath, section: "archive"),
        Ok("named section with empty servers and path falls back to [zookeeper] for both", null,
            new() { ["zookeeper:servers"] = "main:1,main:2", ["zookeeper:path"] = "/main", ["archive:servers"] = "", ["archive:path"] = "" }, E("env:1"),
            "main:1,main:2", CfgServers, "/main", CfgPath, section: "archive"),
        Ok("named section: the environment when neither section names servers", null,
            new() { ["zookeeper:path"] = "/main", ["archive:path"] = "/arch" }, E("env:1"),
            "env:1", Env, "/arch", "configuration key 'archive:path'", section: "archive"),
        Ok("named section takes no timeout from [zookeeper]", null,
            new() { ["zookeeper:timeout"] = "30s", ["archive:servers"] = "a:1" }, E(null),
            "a:1", "configuration key 'archive:servers'", "/orleans", DefaultPathSource, TimeSpan.FromSeconds(10), section: "archive"),
        Ok("[zookeeper] servers are not read when the named section has its own", null,
            new() { ["zookeeper:servers"] = "bad:0", ["archive:servers"] = "a:1", ["archive:path"] = "/a" }, E(null),
            "a:1", "configuration key 'archive:servers'", "/a", "configuration key 'archive:path'", section: "archive"),
        Ok("the URL's servers win over both sections", "zookeeper://u:1",
            new() { ["zookeeper:servers"] = "main:1", ["archive:path"] = "/a" }, E(null),
            "u:1", U("zookeeper://u:1"), "/a", "configuration key 'archive:path'", section: "archive"),

        // ---- Valid: more URL and path shapes a user would try ----
        Ok("URL path with ':' and '@' (znode names allow them)", "zookeeper://zk:1/a:b@c", null, E(null),
            "zk:1", U("zookeeper://zk:1/a:b@c"), "/a:b@c", U("zookeeper://zk:1/a:b@c")),
        Ok("non-ASCII URL path", "zookeeper://zk:1/dir/日本", null, E(null),
            "zk:1", U("zookeeper://zk:1/dir/日本"), "/dir/日本", U("zookeeper://zk:1/dir/日本")),
        Ok("URL path component ending in a dot", "zookeeper://zk:1/a./b..", null, E(null),
            "zk:1", U("zookeeper://zk:1/a./b.."), "/a./b..", U("zookeeper://zk:1/a./b..")),
        Ok("upper-case host names are kept", "zookeeper://ZK-1.Example:2181/x", null, E(null),
            "ZK-1.Example:2181", U("zookeeper://ZK-1.Example:2181/x"), "/x", U("zookeeper://ZK-1.Example:2181/x")),
        Ok("IPv6 with zone in the URL, as in the section", "zookeeper://[fe80::1%eth0]:2181/x", null, E(null),
            "[fe80::1%eth0]:2181", U("zookeeper://[fe80::1%eth0]:2181/x"), "/x", U("zookeeper://[fe80::1%eth0]:2181/x")),

        // ---- Valid: connect timeout (independent of the session timeout) ----
        OkConnectTimeout("connect timeout in seconds with a fraction", "1.5", TimeSpan.FromSeconds(1.5)),
        OkConnectTimeout("connect timeout as a TimeSpan", "00:00:03", TimeSpan.FromSeconds(3)),
        OkConnectTimeout("short connect timeout with a huge session timeout", "1", TimeSpan.FromSeconds(1), "2000000", TimeSpan.FromSeconds(2_000_000)),
        OkConnectTimeout("connect timeout longer than the session timeout", "20", TimeSpan.FromSeconds(20), "2", TimeSpan.FromSeconds(2)),
        OkConnectTimeout("connect timeout of 1 ms", "0.001", TimeSpan.FromMilliseconds(1)),

        // ---- Valid: a named section ----
        Ok("named section is read instead of 'zookeeper'", "zookeeper:./x",
            new() { ["zookeeper:servers"] = "default:1", ["zookeeper:path"] = "/default", ["archive:servers"] = "archive:2181", ["archive:path"] = "arch", ["archive:session_timeout"] = "4" },
            E(null), "archive:2181", "configuration key 'archive:servers'", "/arch/x", U("zookeeper:./x") + " relative to configuration key 'archive:path'",
            TimeSpan.FromSeconds(4), section: "archive"),

        // ---- Invalid: scheme and URL shape ----
        Fail("wrong scheme", "http://zk:2181/x", null, E(null), U("http://zk:2181/x"), "http:", "wrong scheme", "'zookeeper:'"),
        Fail("connect string instead of URL", "zk:2181/x", null, E(null), U("zk:2181/x"), "zk:", "wrong scheme"),
        Fail("no scheme at all", "/etc/configs", null, E(null), U("/etc/configs"), "/etc/configs", "no scheme"),
        Fail("empty URL", "", null, E("zk:1"), U(""), "", "empty", "pass null"),
        Fail("whitespace-only URL", "   ", null, E("zk:1"), U("   "), "   ", "empty"),
        Fail("scheme with nothing after it", "zookeeper:", null, E("zk:1"), U("zookeeper:"), "zookeeper:", "neither servers nor a path"),
        Fail("zookeeper:// with nothing after it", "zookeeper://", null, E("zk:1"), U("zookeeper://"), "zookeeper://", "neither servers nor a path"),
        Fail("absolute path without //", "zookeeper:/etc/x", null, E("zk:1"), U("zookeeper:/etc/x"), "/etc/x", "without '//'", "zookeeper:///etc/x"),
        Fail("relative path without ./", "zookeeper:etc/x", null, E("zk:1"), U("zookeeper:etc/x"), "etc/x", "must start with './'", "zookeeper:./etc/x"),
        Fail("query", "zookeeper://zk:2181/x?timeout=5", null, E(null), U("zookeeper://zk:2181/x?timeout=5"), "?timeout=5", "query"),
        Fail("fragment", "zookeeper://zk:2181/x#top", null, E(null), U("zookeeper://zk:2181/x#top"), "#top", "fragment"),
        Fail("user info (redacted)", "zookeeper://admin:" + Secret + "@zk:2181/x", null, E(null), U("zookeeper://***@zk:2181/x"), null, "user information", "'username' and 'password'"),
        Fail("space in URL", "zookeeper:///a b", null, E("zk:1"), U("zookeeper:///a b"), "zookeeper:///a b", "whitespace", "index 14"),
        Fail("tab in URL", "zookeeper://zk:1,\tzk:2/x", null, E(null), U("zookeeper://zk:1,\\u0009zk:2/x"), "zookeeper://zk:1,\tzk:2/x", "whitespace", "'\\u0009' at index 17"),
        Fail("percent-encoding in URL path", "zookeeper:///my%20folder", null, E("zk:1"), U("zookeeper:///my%20folder"), "/my%20folder", "percent-encoding is not supported"),

        // ---- Invalid: URL servers ----
        Fail("empty entry in the middle", "zookeeper://a:1,,b:2/x", null, E(null), U("zookeeper://a:1,,b:2/x"), "a:1,,b:2", "empty entry (number 2 of 3)"),
        Fail("trailing comma", "zookeeper://a:1,/x", null, E(null), U("zookeeper://a:1,/x"), "a:1,", "empty entry (number 2 of 2)"),
        Fail("port zero", "zookeeper://zk:0/x", null, E(null), U("zookeeper://zk:0/x"), "zk:0", "invalid port '0'", "1-65535"),
        Fail("port too large", "zookeeper://zk:65536/x", null, E(null), U("zookeeper://zk:65536/x"), "zk:65536", "invalid port '65536'"),
        Fail("port not numeric", "zookeeper://zk:abc/x", null, E(null), U("zookeeper://zk:abc/x"), "zk:abc", "invalid port 'abc'"),
        Fail("empty host", "zookeeper://:2181/x", null, E(null), U("zookeeper://:2181/x"), ":2181", "empty host"),
        Fail("invalid host character", "zookeeper://zk!1:2181/x", null, E(null), U("zookeeper://zk!1:2181/x"), "zk!1:2181", "invalid host name 'zk!1'"),
        Fail("host label starting with '-'", "zookeeper://-zk:2181/x", null, E(null), U("zookeeper://-zk:2181/x"), "-zk:2181", "starts or ends with '-'"),
        Fail("empty host label", "zookeeper://zk..example:2181/x", null, E(null), U("zookeeper://zk..example:2181/x"), "zk..example:2181", "empty label"),
        Fail("bad IPv4", "zookeeper://300.1.1.1:2181/x", null, E(null), U("zookeeper://300.1.1.1:2181/x"), "300.1.1.1:2181", "not a valid IPv4 address"),
        Fail("IPv6 without brackets", "zookeeper://fe80::1/x", null, E(null), U("zookeeper://fe80::1/x"), "fe80::1", "must be written in brackets"),
        Fail("brackets around a host name", "zookeeper://[zk1]:2181/x", null, E(null), U("zookeeper://[zk1]:2181/x"), "[zk1]:2181", "not an IPv6 address"),
        Fail("same server twice", "zookeeper://zk:2181,ZK:2181/x", null, E(null), U("zookeeper://zk:2181,ZK:2181/x"), "ZK:2181", "twice"),
        Fail("host name with a trailing dot", "zookeeper://zk.example.com.:2181/x", null, E(null), U("zookeeper://zk.example.com.:2181/x"), "zk.example.com.:2181", "ending in '.'", "without the trailing dot"),
        Fail("short IPv4 form in the section", null, Z(("servers", "zk:1,10.1:2181")), E(null), CfgServers, "10.1:2181", "'zk:1,10.1:2181'", "not a valid IPv4 address"),
        Fail("IPv4 with a leading zero in the environment", null, null, E("010.0.0.1"), Env, "010.0.0.1", "not a valid IPv4 address", "without leading zeros"),
        Fail("hexadecimal IPv4 form", "zookeeper://0x7f.1:2181/x", null, E(null), U("zookeeper://0x7f.1:2181/x"), "0x7f.1:2181", "read as the IPv4 address 127.0.0.1"),
        Fail("'%' outside brackets", null, Z(("servers", "zk%1")), E(null), CfgServers, "zk%1", "invalid host name 'zk%1'"),

        // ---- Invalid: URL paths ----
        Fail("double slash in path", "zookeeper:///a//b", null, E("zk:1"), U("zookeeper:///a//b"), "/a//b", "empty component ('//')"),
        Fail("trailing slash", "zookeeper://zk:1/a/", null, E(null), U("zookeeper://zk:1/a/"), "/a/", "must not end with '/'"),
        Fail("'.' component", "zookeeper:///a/./b", null, E("zk:1"), U("zookeeper:///a/./b"), "/a/./b", "'.' is not allowed"),
        Fail("'..' component", "zookeeper:///a/../b", null, E("zk:1"), U("zookeeper:///a/../b"), "/a/../b", "'..' is not allowed"),
        Fail("control character in path", "zookeeper:///a\u0001b", null, E("zk:1"), U("zookeeper:///a\\u0001b"), "/a\u0001b", "'/a\\u0001b'", "U+0001"),
        Fail("lone surrogate in path", "zookeeper:///a\ud800b", null, E("zk:1"), U("zookeeper:///a\\uD800b"), "/a\ud800b", "'/a\\uD800b'", "U+D800"),
        Fail("DEL in relative path", "zookeeper:./a\u007f", Z(("servers", "zk:1")), E(null), U("zookeeper:./a\\u007F"), "./a\u007f", "'./a\\u007F'", "U+007F", "'/a\\u007F' is invalid"),
        Fail("relative path escaping its base", "zookeeper:./../x", Z(("servers", "zk:1"), ("path", "/app")), E(null), U("zookeeper:./../x"), "./../x", "'..' is not allowed", "must stay below its base path"),
        Fail("URL path errors are reported before missing servers", "zookeeper:./../x", null, E(null), U("zookeeper:./../x"), "./../x", "'..' is not allowed"),
        Fail("relative '.' component", "zookeeper:././x", Z(("servers", "zk:1")), E(null), U("zookeeper:././x"), "././x", "'.' is not allowed"),
        Fail("empty relative path", "zookeeper:./", Z(("servers", "zk:1")), E(null), U("zookeeper:./"), "./", "empty relative path"),
        Fail("relative path with //", "zookeeper:.//x", Z(("servers", "zk:1")), E(null), U("zookeeper:.//x"), ".//x", "'//'"),
        Fail("relative path with trailing slash", "zookeeper:./x/", Z(("servers", "zk:1")), E(null), U("zookeeper:./x/"), "./x/", "must not end with '/'"),

        // ---- Invalid: more URL and path shapes a user would try ----
        Fail("port with a sign", "zookeeper://zk:+2181/x", null, E(null), U("zookeeper://zk:+2181/x"), "zk:+2181", "invalid port '+2181'"),
        Fail("empty port", "zookeeper://zk:/x", null, E(null), U("zookeeper://zk:/x"), "zk:", "invalid port ''"),
        Fail("two ports", "zookeeper://zk:1:2/x", null, E(null), U("zookeeper://zk:1:2/x"), "zk:1:2", "brackets"),
        Fail("four slashes", "zookeeper:////x", Z(("servers", "zk:1")), E(null), U("zookeeper:////x"), "//x", "'//'"),
        Fail("a lone dot after the scheme", "zookeeper:.", Z(("servers", "zk:1")), E(null), U("zookeeper:."), ".", "must start with './'"),
        Fail("relative URL ending in '..'", "zookeeper:./a/..", Z(("servers", "zk:1")), E(null), U("zookeeper:./a/.."), "./a/..", "'..' is not allowed"),
        Fail("backslash in a host", "zookeeper://zk\\1:2181/x", null, E(null), U("zookeeper://zk\\1:2181/x"), "zk\\1:2181", "invalid host name"),
        Fail("another scheme that looks close", "zk://zk:2181/x", null, E(null), U("zk://zk:2181/x"), "zk:", "wrong scheme"),
        Fail("URL path in ZooKeeper's reserved /zookeeper", "zookeeper://zk:1/zookeeper/x", null, E(null), U("zookeeper://zk:1/zookeeper/x"), "/zookeeper/x", "reserved"),
        Fail("section path /zookeeper", null, Z(("servers", "zk:1"), ("path", "zookeeper")), E(null), CfgPath, "zookeeper", "reserved"),
        Fail("relative URL into /zookeeper", "zookeeper:./zookeeper/quota", Z(("servers", "zk:1"), ("path", "/")), E(null), U("zookeeper:./zookeeper/quota"), "./zookeeper/quota", "reserved"),
        Fail("section path '.'", null, Z(("servers", "zk:1"), ("path", ".")), E(null), CfgPath, ".", "'.' is not allowed"),

        // ---- Invalid: asab's timeout ----
        new Case
        {
            Name = "timeout and session_timeout naming different durations", Url = null, Config = Z(("servers", "zk:1"), ("timeout", "10s"), ("session_timeout", "20")), Environment = E(null),
            ErrorOrigin = $"{CfgTimeout}, {CfgAsabTimeout}", OriginInMessage = false,
            ErrorFragments = ["key 'zookeeper:session_timeout' (20 s)", CfgAsabTimeout + " (10 s)", "set one of them"],
        },
        Fail("asab timeout with an unknown unit", null, Z(("servers", "zk:1"), ("timeout", "10x")), E(null), CfgAsabTimeout, "10x", "neither a number of seconds", "as asab writes it"),
        Fail("asab timeout of a month is too large", null, Z(("servers", "zk:1"), ("timeout", "1M")), E(null), CfgAsabTimeout, "1M", "too large"),
        Fail("asab timeout negative with a unit", null, Z(("servers", "zk:1"), ("timeout", "-5s")), E(null), CfgAsabTimeout, "-5s", "positive"),
        Fail("asab timeout of zero milliseconds", null, Z(("servers", "zk:1"), ("timeout", "0ms")), E(null), CfgAsabTimeout, "0ms", "positive"),
        Fail("asab timeout with only a unit", null, Z(("servers", "zk:1"), ("timeout", "s")), E(null), CfgAsabTimeout, "s", "neither a number of seconds"),

        // ---- Invalid: the [zookeeper] fallback of a named section ----
        new Case
        {
            Name = "bad [zookeeper] servers are reported when a named section falls back to them", Url = null, Section = "archive",
            Config = new() { ["zookeeper:servers"] = "a:0", ["archive:path"] = "/a" }, Environment = E("env:1"),
            ErrorOrigin = CfgServers, ErrorValue = "a:0", ErrorFragments = ["invalid port '0'"],
        },
        new Case
        {
            Name = "no servers in a named section, in [zookeeper] or the environment", Url = null, Section = "archive",
            Config = new() { ["archive:path"] = "/a" }, Environment = E(null),
            ErrorOrigin = $"URL, configuration key 'archive:servers', {CfgServers}, {Env}", OriginInMessage = false,
            ErrorFragments = ["neither configuration key 'archive:servers' nor configuration key 'zookeeper:servers' is set", Env + " is not set"],
        },

        // ---- Invalid: servers missing everywhere ----
        new Case
        {
            Name = "no servers anywhere, no URL", Url = null, Config = Z(("path", "/p")), Environment = E(null),
            ErrorOrigin = $"URL, {CfgServers}, {Env}", OriginInMessage = false,
            ErrorFragments = ["No ZooKeeper servers", "no URL was given", CfgServers + " is not set", Env + " is not set"],
        },
        new Case
        {
            Name = "no servers anywhere, URL without servers, no configuration", Url = "zookeeper:///p", Config = null, Environment = E(null),
            ErrorOrigin = $"URL, {CfgServers}, {Env}", OriginInMessage = false,
            ErrorFragments = ["URL 'zookeeper:///p' names no servers", "no configuration was given", Env],
        },
        new Case
        {
            Name = "empty values everywhere count as missing", Url = "zookeeper:./p", Config = Z(("servers", "")), Environment = E(""),
            ErrorOrigin = $"URL, {CfgServers}, {Env}", OriginInMessage = false,
            ErrorFragments = ["URL 'zookeeper:./p' names no servers", CfgServers, Env],
        },

        // ---- Invalid: environment ----
        Fail("bad environment server list", null, null, E("zk1:2181,,zk2"), Env, "zk1:2181,,zk2", "empty entry"),
        Fail("environment value with trailing whitespace", null, null, E("zk1:2181 "), Env, "zk1:2181 ", "leading or trailing whitespace"),
        Fail("environment value with chroot", "zookeeper:./x", null, E("zk1:2181/chroot"), Env, "zk1:2181/chroot", "contains '/'"),

        // ---- Invalid: section values ----
        Fail("whitespace inside section servers", null, Z(("servers", "a:1, b:2")), E(null), CfgServers, "a:1, b:2", "whitespace", "index 4"),
        Fail("leading whitespace in section servers", null, Z(("servers", " a:1")), E(null), CfgServers, " a:1", "leading or trailing whitespace"),
        Fail("chroot in section servers", null, Z(("servers", "a:1/chroot")), E(null), CfgServers, "a:1/chroot", "contains '/'"),
        Fail("bad section servers are reported even when the URL overrides them", FullUrl, Z(("servers", "a:99999")), E(null), CfgServers, "a:99999", "invalid port '99999'"),
        Fail("section path with trailing slash", null, Z(("servers", "zk:1"), ("path", "myfolder/")), E(null), CfgPath, "myfolder/", "read as '/myfolder/'", "must not end with '/'"),
        Fail("section path with //", null, Z(("servers", "zk:1"), ("path", "/a//b")), E(null), CfgPath, "/a//b", "'//'"),
        Fail("section path with ..", "zookeeper:./x", Z(("servers", "zk:1"), ("path", "/a/../b")), E(null), CfgPath, "/a/../b", "'..' is not allowed"),
        Fail("section path with control character", null, Z(("servers", "zk:1"), ("path", "/a\u0002")), E(null), CfgPath, "/a\u0002", "'/a\\u0002'", "U+0002"),
        Fail("section path with trailing whitespace", null, Z(("servers", "zk:1"), ("path", "/app ")), E(null), CfgPath, "/app ", "leading or trailing whitespace"),
        Fail("session timeout not a number", null, Z(("servers", "zk:1"), ("session_timeout", "abc")), E(null), CfgTimeout, "abc", "neither a number of seconds"),
        Fail("session timeout zero", null, Z(("servers", "zk:1"), ("session_timeout", "0")), E(null), CfgTimeout, "0", "positive"),
        Fail("session timeout negative", null, Z(("servers", "zk:1"), ("session_timeout", "-5")), E(null), CfgTimeout, "-5", "positive"),
        Fail("session timeout negative TimeSpan", null, Z(("servers", "zk:1"), ("session_timeout", "-00:00:05")), E(null), CfgTimeout, "-00:00:05", "positive"),
        Fail("session timeout NaN", null, Z(("servers", "zk:1"), ("session_timeout", "NaN")), E(null), CfgTimeout, "NaN", "positive"),
        Fail("session timeout too large", null, Z(("servers", "zk:1"), ("session_timeout", "1e12")), E(null), CfgTimeout, "1e12", "too large"),
        Fail("connect timeout not a number", null, Z(("servers", "zk:1"), ("connect_timeout", "abc")), E(null), CfgConnectTimeout, "abc", "The connect timeout 'abc'", "neither a number of seconds"),
        Fail("connect timeout zero", null, Z(("servers", "zk:1"), ("connect_timeout", "0")), E(null), CfgConnectTimeout, "0", "positive"),
        Fail("connect timeout negative", null, Z(("servers", "zk:1"), ("connect_timeout", "-1")), E(null), CfgConnectTimeout, "-1", "positive"),
        Fail("connect timeout negative TimeSpan", null, Z(("servers", "zk:1"), ("connect_timeout", "-00:00:01")), E(null), CfgConnectTimeout, "-00:00:01", "positive"),
        Fail("connect timeout infinite", null, Z(("servers", "zk:1"), ("connect_timeout", "Infinity")), E(null), CfgConnectTimeout, "Infinity", "positive"),
        Fail("connect timeout too large", null, Z(("servers", "zk:1"), ("connect_timeout", "3000000")), E(null), CfgConnectTimeout, "3000000", "too large"),
        Fail("connect timeout under 1 ms", null, Z(("servers", "zk:1"), ("connect_timeout", "0.0001")), E(null), CfgConnectTimeout, "0.0001", "shorter than 1 ms"),
        Fail("connect timeout with trailing whitespace", null, Z(("servers", "zk:1"), ("connect_timeout", "2 ")), E(null), CfgConnectTimeout, "2 ", "leading or trailing whitespace"),
        Fail("bad connect timeout is reported even when the URL names everything", FullUrl, Z(("connect_timeout", "soon")), E(null), CfgConnectTimeout, "soon", "neither a number of seconds"),
        Fail("username without password", null, Z(("servers", "zk:1"), ("username", "alice")), E(null), "configuration key 'zookeeper:password'", null, "'alice'", "configuration key 'zookeeper:username'", "both or neither"),
        Fail("password without username", null, Z(("servers", "zk:1"), ("password", Secret)), E(null), "configuration key 'zookeeper:username'", null, "key 'zookeeper:password' is set", "both or neither"),
        Fail("username with ':'", null, Z(("servers", "zk:1"), ("username", "al:ice"), ("password", Secret)), E(null), "configuration key 'zookeeper:username'", "al:ice", "contains ':'"),
        Fail("password with trailing whitespace is rejected without showing it", null, Z(("servers", "zk:1"), ("username", "alice"), ("password", Secret + " ")), E(null), "configuration key 'zookeeper:password'", null, "value not shown"),
        new Case
        {
            Name = "named section errors name the section's key", Url = null, Section = "archive",
            Config = new() { ["zookeeper:servers"] = "fine:1", ["archive:servers"] = "fine:1,,x" }, Environment = E(null),
            ErrorOrigin = "configuration key 'archive:servers'", ErrorValue = "fine:1,,x", ErrorFragments = ["empty entry"],
        },

        // ---- Valid: TLS ----
        OkTls("tls=true alone: system roots, the OS's TLS versions, host name check", new(), ("tls", "true")),
        OkTls("tls with a CA file (one-way TLS)", new(Ca: "/etc/zk/ca.pem"), ("tls", "true"), ("tls_ca_file", "/etc/zk/ca.pem")),
        OkTls("mutual TLS with PEM certificate and key files and both versions", new("/etc/zk/ca.pem", "/etc/zk/client.pem", "/etc/zk/client-key.pem", Protocols: SslProtocols.Tls12 | SslProtocols.Tls13),
            ("tls", "true"), ("tls_ca_file", "/etc/zk/ca.pem"), ("tls_cert_file", "/etc/zk/client.pem"), ("tls_key_file", "/etc/zk/client-key.pem"), ("tls_protocols", "1.2,1.3")),
        OkTls("mutual TLS with a PKCS#12 file and its password", new(Cert: "client.p12", Password: true),
            ("tls", "true"), ("tls_cert_file", "client.p12"), ("tls_key_password", Secret)),
        OkTls("encrypted PEM key with its password", new(Cert: "c.pem", Key: "k.pem", Password: true),
            ("tls", "true"), ("tls_cert_file", "c.pem"), ("tls_key_file", "k.pem"), ("tls_key_password", Secret)),
        OkTls("TLS 1.3 only", new(Protocols: SslProtocols.Tls13), ("tls", "true"), ("tls_protocols", "1.3")),
        OkTls("TLS versions by .NET names, any case", new(Protocols: SslProtocols.Tls12 | SslProtocols.Tls13), ("tls", "true"), ("tls_protocols", "tls13,Tls12")),
        OkTls("TLS version by its Java name", new(Protocols: SslProtocols.Tls12), ("tls", "true"), ("tls_protocols", "TLSv1.2")),
        OkTls("host name check off", new(CheckHostName: false), ("tls", "true"), ("tls_check_hostname", "false")),
        OkTls("booleans as yes/on/1 in any case", new(CheckHostName: true), ("tls", "YES"), ("tls_check_hostname", "On")),
        OkTls("booleans as 1 and 0", new(CheckHostName: false), ("tls", "1"), ("tls_check_hostname", "0")),
        OkTls("tls=false is plaintext", null, ("tls", "false")),
        OkTls("tls=off is plaintext", null, ("tls", "off")),
        OkTls("empty TLS values count as unset", null, ("tls", ""), ("tls_ca_file", ""), ("tls_protocols", "")),

        // ---- Invalid: TLS ----
        FailTls("tls not a boolean", CfgTls, "maybe", ["not a boolean", "true or false"], ("tls", "maybe")),
        FailTls("tls_check_hostname not a boolean", "configuration key 'zookeeper:tls_check_hostname'", "strict", ["not a boolean"], ("tls", "true"), ("tls_check_hostname", "strict")),
        FailTls("unknown TLS version", "configuration key 'zookeeper:tls_protocols'", "1.1", ["unknown version '1.1'", "1.2 and/or 1.3"], ("tls", "true"), ("tls_protocols", "1.1")),
        FailTls("unknown TLS version among known ones", "configuration key 'zookeeper:tls_protocols'", "1.2,ssl3", ["unknown version 'ssl3'"], ("tls", "true"), ("tls_protocols", "1.2,ssl3")),
        FailTls("empty TLS version entry", "configuration key 'zookeeper:tls_protocols'", "1.2,", ["unknown version ''"], ("tls", "true"), ("tls_protocols", "1.2,")),
        FailTls("space inside the TLS versions", "configuration key 'zookeeper:tls_protocols'", "1.2, 1.3", ["unknown version ' 1.3'"], ("tls", "true"), ("tls_protocols", "1.2, 1.3")),
        FailTls("bad TLS version is reported even when TLS is off", "configuration key 'zookeeper:tls_protocols'", "2.0", ["unknown version '2.0'"], ("tls_protocols", "2.0")),
        FailTls("tls_ca_file without tls", "configuration key 'zookeeper:tls_ca_file'", "/etc/zk/ca.pem", [CfgTls + " is not set", "set tls=true", "secure client ports"], ("tls_ca_file", "/etc/zk/ca.pem")),
        FailTls("tls_cert_file with tls=false", "configuration key 'zookeeper:tls_cert_file'", "c.pem", [CfgTls + " is 'false'", "set tls=true"], ("tls", "false"), ("tls_cert_file", "c.pem")),
        FailTls("tls_check_hostname without tls", "configuration key 'zookeeper:tls_check_hostname'", "false", [CfgTls + " is not set"], ("tls_check_hostname", "false")),
        FailTls("tls_key_password without tls is not shown", "configuration key 'zookeeper:tls_key_password'", null, [CfgTls + " is not set"], ("tls_key_password", Secret)),
        FailTls("tls_key_file without tls_cert_file", "configuration key 'zookeeper:tls_key_file'", "k.pem", ["'zookeeper:tls_cert_file' is not", "client certificate"], ("tls", "true"), ("tls_key_file", "k.pem")),
        FailTls("tls_key_password without tls_cert_file", "configuration key 'zookeeper:tls_key_password'", null, ["'zookeeper:tls_cert_file' is not set", "value not shown", "client certificate"], ("tls", "true"), ("tls_key_password", Secret)),
        FailTls("tls_ca_file with trailing whitespace", "configuration key 'zookeeper:tls_ca_file'", "ca.pem ", ["leading or trailing whitespace"], ("tls", "true"), ("tls_ca_file", "ca.pem ")),
        FailTls("tls_key_password with whitespace is rejected without showing it", "configuration key 'zookeeper:tls_key_password'", null, ["value not shown"], ("tls", "true"), ("tls_cert_file", "c.p12"), ("tls_key_password", " " + Secret)),
    ];

    private static readonly Dictionary<string, Case> Cases = AllCases.ToDictionary(c => c.Name);

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Fact]
    public void The_table_has_at_least_40_cases_with_unique_names()
    {
        Assert.Equal(AllCases.Length, Cases.Count);
        Assert.True(AllCases.Length >= 40, $"only {AllCases.Length} cases");
        Assert.True(AllCases.Count(c => c.ErrorOrigin is null) >= 20);
        Assert.True(AllCases.Count(c => c.ErrorOrigin is not null) >= 20);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Resolution(string name)
    {
        var c = Cases[name];
        var configuration = c.Config is null ? null : new ConfigurationBuilder().AddInMemoryCollection(c.Config).Build();
        Func<string, string?> environment = variable =>
        {
            Assert.Equal(ZooKeeperTargetResolver.ServersEnvironmentVariable, variable);
            return c.Environment is not null && c.Environment.TryGetValue(variable, out var v) ? v : null;
        };

        if (c.ErrorOrigin is null)
        {
            var target = ZooKeeperTargetResolver.Resolve(c.Url, configuration, c.Section, environment);
            Assert.Equal(c.Servers, target.ConnectString);
            Assert.Equal(c.ServersSource, target.ServersSource);
            Assert.Equal(c.Path, target.Path);
            Assert.Equal(c.PathSource, target.PathSource);
            Assert.Equal(c.SessionTimeout, target.SessionTimeout);
            Assert.Equal(c.ConnectTimeout, target.ConnectTimeout);
            Assert.Equal(c.ConnectTimeout, target.ToClientOptions().ConnectTimeout);
            Assert.Null(target.DigestUser);
            Assert.Null(ZooKeeperPath.GetError(target.Path));
            Assert.Equal(target.Servers, ConnectionString.Parse(target.ConnectString).Servers);
            AssertTls(c.Tls, target);
            Assert.Equal("zookeeper://" + c.Servers + c.Path + (target.Tls is null ? string.Empty : $" ({target.Tls})"), target.ToString());
            Assert.DoesNotContain(Secret, target.ToString(), StringComparison.Ordinal);
        }
        else
        {
            var e = Assert.Throws<ZooKeeperConfigurationException>(() => ZooKeeperTargetResolver.Resolve(c.Url, configuration, c.Section, environment));
            Assert.Equal(c.ErrorOrigin, e.Origin);
            Assert.Equal(c.ErrorValue, e.Value);
            if (c.OriginInMessage)
            {
                Assert.Contains(c.ErrorOrigin, e.Message, StringComparison.Ordinal);
            }

            if (c.ErrorValue is { Length: > 0 } value && IsPlain(value))
            {
                Assert.Contains($"'{value}'", e.Message, StringComparison.Ordinal);
            }

            foreach (var fragment in c.ErrorFragments)
            {
                Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
            }

            Assert.DoesNotContain(Secret, e.Message, StringComparison.Ordinal);
            Assert.True(IsPlain(e.Message.Replace(' ', '_')), $"message has unescaped special characters: {e.Message}");
        }
    }

    /// <summary>The target's TLS settings and the client options made from them match <paramref name="expected"/>.</summary>
    private static void AssertTls(TlsExpectation? expected, ZooKeeperTarget target)
    {
        var options = target.ToClientOptions();
        if (expected is null)
        {
            Assert.Null(target.Tls);
            Assert.Null(options.Tls);
            return;
        }

        var tls = Assert.IsType<ZooKeeperTargetTls>(target.Tls);
        Assert.Equal(expected, new TlsExpectation(tls.CaFile, tls.CertificateFile, tls.KeyFile, tls.HasKeyPassword, tls.CheckHostName, tls.Protocols));
        var client = Assert.IsType<ZooKeeperTlsOptions>(options.Tls);
        Assert.Equal(
            expected,
            new TlsExpectation(client.CaCertificatesFile, client.ClientCertificateFile, client.ClientKeyFile, client.ClientCertificatePassword is not null, client.CheckHostName, client.EnabledProtocols));
        Assert.Equal(expected.Password ? Secret : null, client.ClientCertificatePassword);
        Assert.Null(client.TrustedCertificates);
        Assert.Null(client.ClientCertificate);
        Assert.StartsWith("TLS", tls.ToString(), StringComparison.Ordinal);
    }

    /// <summary>No whitespace, control or surrogate characters, so it is printed as is.</summary>
    private static bool IsPlain(string s) => !s.Any(ch => char.IsWhiteSpace(ch) || char.IsControl(ch) || char.IsSurrogate(ch));

    [Fact]
    public void The_environment_is_not_read_when_the_URL_or_the_section_names_servers()
    {
        var reads = 0;
        string? Lookup(string _)
        {
            reads++;
            return "bad value ,,";
        }

        ZooKeeperTargetResolver.Resolve(FullUrl, null, environment: Lookup);
        ZooKeeperTargetResolver.Resolve(null, Build(("zookeeper:servers", "zk:1")), environment: Lookup);
        Assert.Equal(0, reads);

        Assert.Throws<ZooKeeperConfigurationException>(() => ZooKeeperTargetResolver.Resolve("zookeeper:///x", null, environment: Lookup));
        Assert.Equal(1, reads);
    }

    [Fact]
    public void Binds_from_an_ini_file_written_like_the_original()
    {
        var file = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"orleans-zookeeper-{Guid.NewGuid():N}.ini");
        File.WriteAllText(file, "[zookeeper]\nservers=zookeeper-1:2181,zookeeper-2:2181,zookeeper-3:2181\npath=myfolder\n");
        try
        {
            var configuration = new ConfigurationBuilder().AddIniFile(file).Build();
            var target = ZooKeeperTargetResolver.Resolve(null, configuration, environment: NoEnvironment);
            Assert.Equal(Three, target.ConnectString);
            Assert.Equal(CfgServers, target.ServersSource);
            Assert.Equal("/myfolder", target.Path);
            Assert.Equal(TimeSpan.FromSeconds(10), target.SessionTimeout);

            var relative = ZooKeeperTargetResolver.Resolve("zookeeper:./etc/configs/file1", configuration, environment: NoEnvironment);
            Assert.Equal("/myfolder/etc/configs/file1", relative.Path);
            Assert.Equal(Three, relative.ConnectString);

            var absolute = ZooKeeperTargetResolver.Resolve("zookeeper:///etc/configs/file1", configuration, environment: NoEnvironment);
            Assert.Equal("/etc/configs/file1", absolute.Path);
            Assert.Equal(Three, absolute.ConnectString);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Binds_named_sections_from_one_ini_file()
    {
        var file = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"orleans-zookeeper-{Guid.NewGuid():N}.ini");
        File.WriteAllText(file, "[zookeeper]\nservers=zookeeper-1:2181\npath=myfolder\n\n[zookeeper-archive]\nservers=archive-1:2181,archive-2:2181\npath=/archive\nsession_timeout=00:00:20\nusername=alice\npassword=" + Secret + "\n");
        try
        {
            var configuration = new ConfigurationBuilder().AddIniFile(file).Build();
            var main = ZooKeeperTargetResolver.Resolve("zookeeper:./x", configuration, environment: NoEnvironment);
            var archive = ZooKeeperTargetResolver.Resolve("zookeeper:./x", configuration, "zookeeper-archive", NoEnvironment);
            Assert.Equal(("zookeeper-1:2181", "/myfolder/x", (string?)null), (main.ConnectString, main.Path, main.DigestUser));
            Assert.Equal(("archive-1:2181,archive-2:2181", "/archive/x", "alice"), (archive.ConnectString, archive.Path, archive.DigestUser));
            Assert.Equal("configuration key 'zookeeper-archive:servers'", archive.ServersSource);
            Assert.Equal(TimeSpan.FromSeconds(20), archive.SessionTimeout);
            Assert.DoesNotContain(Secret, archive.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Binds_from_json()
    {
        var json = """
            {
              "zookeeper": {
                "servers": "zookeeper-1:2181,[::1]:2182",
                "path": "myfolder",
                "session_timeout": 2.5,
                "username": "alice",
                "password": "PASSWORD"
              }
            }
            """.Replace("PASSWORD", Secret, StringComparison.Ordinal);
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var target = ZooKeeperTargetResolver.Resolve("zookeeper:./etc/configs/file1", configuration, environment: NoEnvironment);
        Assert.Equal("zookeeper-1:2181,[::1]:2182", target.ConnectString);
        Assert.Equal(new[] { new ServerAddress("zookeeper-1", 2181), new ServerAddress("::1", 2182) }, target.Servers);
        Assert.Equal("/myfolder/etc/configs/file1", target.Path);
        Assert.Equal(TimeSpan.FromSeconds(2.5), target.SessionTimeout);
        Assert.Equal("alice", target.DigestUser);
    }

    [Fact]
    public void A_json_array_of_servers_is_rejected_not_ignored()
    {
        var json = """{ "zookeeper": { "servers": [ "zk-1:2181", "zk-2:2181" ] } }""";
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var e = Assert.Throws<ZooKeeperConfigurationException>(() => ZooKeeperTargetResolver.Resolve(null, configuration, environment: _ => "env:1"));
        Assert.Equal(CfgServers, e.Origin);
        Assert.Contains("nested keys", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_password_never_appears_in_ToString_or_exception_messages()
    {
        var good = Build(("zookeeper:servers", "zk:2181"), ("zookeeper:username", "alice"), ("zookeeper:password", Secret));
        var target = ZooKeeperTargetResolver.Resolve("zookeeper:./x", good, environment: NoEnvironment);
        Assert.Equal("zookeeper://zk:2181/orleans/x (digest user 'alice')", target.ToString());
        Assert.Equal(Secret, target.DigestPassword);

        var options = target.ToClientOptions();
        Assert.Equal("zookeeper://zk:2181/orleans/x (digest user 'alice')", target.ToString());
        var auth = Assert.Single(options.Auth);
        Assert.Equal("digest", auth.Scheme);
        Assert.DoesNotContain(Secret, auth.ToString(), StringComparison.Ordinal);

        (string? Url, (string, string?)[] Config)[] failures =
        [
            ("zookeeper://alice:" + Secret + "@zk:2181/x", [("zookeeper:password", Secret), ("zookeeper:username", "alice")]),
            ("zookeeper://alice:" + Secret + "@zk:2181 /x", []),
            ("zookeeper:///a//b", [("zookeeper:servers", "zk:1"), ("zookeeper:username", "alice"), ("zookeeper:password", Secret)]),
            (null, [("zookeeper:servers", "zk:0"), ("zookeeper:username", "alice"), ("zookeeper:password", Secret)]),
            (null, [("zookeeper:password", Secret)]),
            (null, [("zookeeper:password", " " + Secret)]),
            (null, [("zookeeper:username", "alice"), ("zookeeper:password", Secret + "\ud800")]),
            (null, [("zookeeper:username", "alice"), ("zookeeper:password", Secret)]),
        ];
        foreach (var (url, config) in failures)
        {
            var e = Assert.Throws<ZooKeeperConfigurationException>(() => ZooKeeperTargetResolver.Resolve(url, Build(config), environment: NoEnvironment));
            Assert.DoesNotContain(Secret, e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, e.Origin, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, e.Value ?? string.Empty, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, e.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_TLS_key_password_never_appears_in_ToString_or_exception_messages()
    {
        var good = Build(("zookeeper:servers", "zk:2281"), ("zookeeper:tls", "true"), ("zookeeper:tls_ca_file", "/etc/zk/ca.pem"),
            ("zookeeper:tls_cert_file", "/etc/zk/client.p12"), ("zookeeper:tls_key_password", Secret), ("zookeeper:tls_protocols", "1.3"), ("zookeeper:tls_check_hostname", "no"));
        var target = ZooKeeperTargetResolver.Resolve("zookeeper:./x", good, environment: NoEnvironment);
        Assert.Equal("zookeeper://zk:2281/orleans/x (TLS, CA file '/etc/zk/ca.pem', client certificate '/etc/zk/client.p12', protocols Tls13, no host name check)", target.ToString());
        Assert.Equal(Secret, target.Tls!.KeyPassword);
        Assert.True(target.Tls.HasKeyPassword);
        Assert.Equal(Secret, target.ToClientOptions().Tls!.ClientCertificatePassword);
        Assert.DoesNotContain(Secret, target.Tls.ToString(), StringComparison.Ordinal);
        Assert.Equal(target, ZooKeeperTargetResolver.Resolve("zookeeper:./x", good, environment: NoEnvironment));
        Assert.NotEqual(target, ZooKeeperTargetResolver.Resolve("zookeeper:./x", Build(("zookeeper:servers", "zk:2281")), environment: NoEnvironment));

        (string Key, string? Value)[][] failures =
        [
            [("zookeeper:tls_key_password", Secret)],
            [("zookeeper:tls", "false"), ("zookeeper:tls_key_password", Secret)],
            [("zookeeper:tls", "true"), ("zookeeper:tls_key_password", Secret)],
            [("zookeeper:tls", "true"), ("zookeeper:tls_cert_file", "c.p12"), ("zookeeper:tls_key_password", Secret + "\t")],
            [("zookeeper:tls", "true"), ("zookeeper:tls_cert_file", "c.p12"), ("zookeeper:tls_key_password", Secret), ("zookeeper:tls_protocols", "1.0")],
            [("zookeeper:tls", "maybe"), ("zookeeper:tls_cert_file", "c.p12"), ("zookeeper:tls_key_password", Secret)],
        ];
        foreach (var config in failures)
        {
            var e = Assert.Throws<ZooKeeperConfigurationException>(() => ZooKeeperTargetResolver.Resolve(null, Build([("zookeeper:servers", "zk:1"), .. config]), environment: NoEnvironment));
            Assert.DoesNotContain(Secret, e.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, e.Origin, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, e.Value ?? string.Empty, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Binds_the_tls_keys_from_the_README_ini_example()
    {
        var file = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"orleans-zookeeper-{Guid.NewGuid():N}.ini");
        File.WriteAllText(file, """
            [zookeeper]
            servers=zookeeper-1:2281,zookeeper-2:2281,zookeeper-3:2281
            path=myfolder
            ; required for any tls_* key (never implied)
            tls=true
            ; CAs to trust (PEM, DER or PKCS#12); default: the system's roots
            tls_ca_file=/etc/zookeeper/tls/ca.pem
            ; mutual TLS (optional): PEM certificate with the key in it or in tls_key_file, or a .p12 file
            tls_cert_file=/etc/zookeeper/tls/client.pem
            tls_key_file=/etc/zookeeper/tls/client-key.pem
            ; password of an encrypted PEM key or of the .p12 file (optional; never logged)
            tls_key_password=PASSWORD
            ; default true: the server certificate must name the host given in servers
            tls_check_hostname=true
            ; 1.2 and/or 1.3 (also Tls12, TLSv1.3); default: the operating system's choice
            tls_protocols=1.2,1.3
            """.Replace("PASSWORD", Secret, StringComparison.Ordinal));
        try
        {
            var configuration = new ConfigurationBuilder().AddIniFile(file).Build();
            var target = ZooKeeperTargetResolver.Resolve(null, configuration, environment: NoEnvironment);
            Assert.Equal("zookeeper-1:2281,zookeeper-2:2281,zookeeper-3:2281", target.ConnectString);
            var tls = target.ToClientOptions().Tls!;
            Assert.Equal(
                ("/etc/zookeeper/tls/ca.pem", "/etc/zookeeper/tls/client.pem", "/etc/zookeeper/tls/client-key.pem", Secret, true, SslProtocols.Tls12 | SslProtocols.Tls13),
                (tls.CaCertificatesFile, tls.ClientCertificateFile, tls.ClientKeyFile, tls.ClientCertificatePassword, tls.CheckHostName, tls.EnabledProtocols));
            Assert.DoesNotContain(Secret, target.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void ToClientOptions_carries_connect_string_timeout_and_no_credentials_when_none_are_set()
    {
        var target = ZooKeeperTargetResolver.Resolve("zookeeper://[::1]:2182,zk/x", Build(("zookeeper:session_timeout", "3")), environment: NoEnvironment);
        var options = target.ToClientOptions();
        Assert.Equal("[::1]:2182,zk:2181", options.ConnectString);
        Assert.Equal(TimeSpan.FromSeconds(3), options.SessionTimeout);
        Assert.Empty(options.Auth);
        Assert.Null(ConnectionString.Parse(options.ConnectString).Chroot);
    }

    [Fact]
    public void Targets_have_value_equality_and_are_immutable()
    {
        var config = Build(("zookeeper:servers", "a:1,b:2"), ("zookeeper:path", "p"));
        var one = ZooKeeperTargetResolver.Resolve(null, config, environment: NoEnvironment);
        var two = ZooKeeperTargetResolver.Resolve(null, config, environment: NoEnvironment);
        Assert.Equal(one, two);
        Assert.Equal(one.GetHashCode(), two.GetHashCode());
        Assert.NotEqual(one, ZooKeeperTargetResolver.Resolve("zookeeper:./q", config, environment: NoEnvironment));
        Assert.NotEqual(one, ZooKeeperTargetResolver.Resolve(null, Build(("zookeeper:servers", "a:1,b:2"), ("zookeeper:path", "p"), ("zookeeper:connect_timeout", "2")), environment: NoEnvironment));
        Assert.False(one.Servers is ServerAddress[] or List<ServerAddress>);
    }

    [Fact]
    public void The_section_name_must_not_be_empty()
    {
        Assert.ThrowsAny<ArgumentException>(() => ZooKeeperTargetResolver.Resolve(null, null, "", NoEnvironment));
        Assert.ThrowsAny<ArgumentException>(() => ZooKeeperTargetResolver.Resolve(null, null, null!, NoEnvironment));
    }

    internal static string? NoEnvironment(string name) => null;

    internal static IConfiguration Build(params (string Key, string? Value)[] entries)
        => new ConfigurationBuilder().AddInMemoryCollection(entries.Select(e => new KeyValuePair<string, string?>(e.Key, e.Value))).Build();
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "process environment (not parallel)";
}

/// <summary>The only tests that touch the real process environment; they run alone and restore what they change.</summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class ResolutionProcessEnvironmentTests
{
    [Fact]
    public void The_default_lookup_reads_the_real_environment_variable()
    {
        var name = ZooKeeperTargetResolver.ServersEnvironmentVariable;
        var saved = Environment.GetEnvironmentVariable(name);
        try
        {
            Environment.SetEnvironmentVariable(name, "zookeeper-1:2181,zookeeper-2:2181");
            var target = ZooKeeperTargetResolver.Resolve("zookeeper:///etc/configs/file1", null);
            Assert.Equal("zookeeper-1:2181,zookeeper-2:2181", target.ConnectString);
            Assert.Equal("environment variable ASAB_ZOOKEEPER_SERVERS", target.ServersSource);

            Environment.SetEnvironmentVariable(name, null);
            var e = Assert.Throws<ZooKeeperConfigurationException>(() => ZooKeeperTargetResolver.Resolve("zookeeper:///etc/configs/file1", null));
            Assert.Contains("ASAB_ZOOKEEPER_SERVERS is not set", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, saved);
        }
    }

    [Fact]
    public void Binds_from_environment_variable_configuration_with_a_prefix()
    {
        var prefix = $"OZKTEST_{Guid.NewGuid():N}_";
        string[] names = [prefix + "zookeeper__servers", prefix + "zookeeper__path", prefix + "zookeeper__session_timeout"];
        try
        {
            Environment.SetEnvironmentVariable(names[0], "zookeeper-1:2181,zookeeper-2:2181");
            Environment.SetEnvironmentVariable(names[1], "myfolder");
            Environment.SetEnvironmentVariable(names[2], "00:00:07");
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build();
            var target = ZooKeeperTargetResolver.Resolve("zookeeper:./etc/configs/file1", configuration, environment: ResolutionTests.NoEnvironment);
            Assert.Equal("zookeeper-1:2181,zookeeper-2:2181", target.ConnectString);
            Assert.Equal("configuration key 'zookeeper:servers'", target.ServersSource);
            Assert.Equal("/myfolder/etc/configs/file1", target.Path);
            Assert.Equal(TimeSpan.FromSeconds(7), target.SessionTimeout);

            Environment.SetEnvironmentVariable(names[0], "zookeeper-1:2181,");
            configuration = new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build();
            var e = Assert.Throws<ZooKeeperConfigurationException>(() => ZooKeeperTargetResolver.Resolve(null, configuration, environment: ResolutionTests.NoEnvironment));
            Assert.Equal("configuration key 'zookeeper:servers'", e.Origin);
            Assert.Contains("'zookeeper-1:2181,'", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var name in names)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }
}
