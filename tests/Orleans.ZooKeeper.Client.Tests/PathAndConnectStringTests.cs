namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>Table-driven tests of ZooKeeperPath (the server's PathUtils rules) and ConnectionString parsing.</summary>
public sealed class PathAndConnectStringTests
{
    // ================================================================= ZooKeeperPath: valid

    [Theory]
    [InlineData("/")]
    [InlineData("/a")]
    [InlineData("/a/b/c")]
    [InlineData("/zookeeper")]
    [InlineData("/...")]
    [InlineData("/.a")]
    [InlineData("/a.")]
    [InlineData("/..a")]
    [InlineData("/a..")]
    [InlineData("/a/.../b")]
    [InlineData("/a/.b/c.")]
    [InlineData("/a b")] // U+0020 is allowed
    [InlineData("/a~")] // U+007E, just below the U+007F-009F range
    [InlineData("/\u00a0")] // just above U+009F
    [InlineData("/\u00e9t\u00e9")]
    [InlineData("/\ud7ff")] // just below U+D800
    [InlineData("/\uf900")] // just above U+F8FF
    [InlineData("/\uffef")] // just below U+FFF0
    [InlineData("/a-b_c:d,e=f@g")]
    [InlineData("/0000000001")]
    public void Valid_paths(string path)
    {
        Assert.Null(ZooKeeperPath.GetError(path));
        Assert.True(ZooKeeperPath.IsValid(path));
        ZooKeeperPath.Validate(path);

        // A valid non-root path stays valid for a sequential create.
        if (path != "/")
        {
            Assert.Null(ZooKeeperPath.GetError(path, isSequential: true));
        }
    }

    // ================================================================= ZooKeeperPath: invalid

    [Theory]
    [InlineData("", "empty")]
    [InlineData("a", "start with '/'")]
    [InlineData("a/b", "start with '/'")]
    [InlineData(" /a", "start with '/'")]
    [InlineData("./a", "start with '/'")]
    [InlineData("/a/", "end with '/'")]
    [InlineData("/a/b/", "end with '/'")]
    [InlineData("//", null)]
    [InlineData("//a", "//")]
    [InlineData("/a//b", "//")]
    [InlineData("/.", "'.'")]
    [InlineData("/..", "'..'")]
    [InlineData("/a/.", "'.'")]
    [InlineData("/a/..", "'..'")]
    [InlineData("/./a", "'.'")]
    [InlineData("/../a", "'..'")]
    [InlineData("/a/./b", "'.'")]
    [InlineData("/a/../b", "'..'")]
    public void Invalid_paths_are_rejected_with_the_rule_they_break(string path, string? reason)
    {
        var error = ZooKeeperPath.GetError(path);
        Assert.NotNull(error);
        if (reason is not null)
        {
            Assert.Contains(reason, error, StringComparison.Ordinal);
        }

        Assert.False(ZooKeeperPath.IsValid(path));
        var ex = Assert.Throws<ArgumentException>(() => ZooKeeperPath.Validate(path));
        Assert.Equal("path", ex.ParamName);
        Assert.Contains($"'{path}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(error, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_path_is_invalid()
    {
        Assert.NotNull(ZooKeeperPath.GetError(null));
        Assert.False(ZooKeeperPath.IsValid(null));
        var ex = Assert.Throws<ArgumentException>(() => ZooKeeperPath.Validate(null, paramName: "prefix"));
        Assert.Equal("prefix", ex.ParamName);
        Assert.Contains("<null>", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Every forbidden range at both of its ends (and one inside), at the start, middle and end of a component.</summary>
    [Theory]
    [InlineData(0x0000)]
    [InlineData(0x0001)]
    [InlineData(0x000a)]
    [InlineData(0x001f)]
    [InlineData(0x007f)]
    [InlineData(0x0085)]
    [InlineData(0x009f)]
    [InlineData(0xd800)]
    [InlineData(0xdbff)]
    [InlineData(0xdc00)]
    [InlineData(0xdfff)]
    [InlineData(0xe000)]
    [InlineData(0xf8ff)]
    [InlineData(0xfff0)]
    [InlineData(0xfffd)]
    [InlineData(0xfffe)]
    [InlineData(0xffff)]
    public void Forbidden_characters_are_rejected_and_named(int code)
    {
        var c = (char)code;
        var hex = code.ToString("X4", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var path in new[] { "/" + c, "/a" + c, "/a" + c + "b", "/a/" + c + "/b", "/x/y" + c })
        {
            var error = ZooKeeperPath.GetError(path);
            Assert.True(error is not null, $"U+{hex} in '{ZooKeeperText.Printable(path)}' was accepted");
            var index = path.IndexOf(c, StringComparison.Ordinal);
            Assert.Contains($"index {index}", error, StringComparison.Ordinal);
            if (code != 0)
            {
                Assert.Contains($"U+{hex}", error, StringComparison.Ordinal);
            }

            // The message names the character: escaped in the quoted path (control, surrogate, U+FFF0+) or as U+XXXX.
            var ex = Assert.Throws<ArgumentException>(() => ZooKeeperPath.Validate(path));
            Assert.True(
                ex.Message.Contains("\\u" + hex, StringComparison.OrdinalIgnoreCase) || ex.Message.Contains("U+" + hex, StringComparison.Ordinal),
                $"message does not name U+{hex}: {ZooKeeperText.Printable(ex.Message)}");
            Assert.Null(ZooKeeperPath.GetError(path.Replace(c, 'z')));
        }
    }

    [Fact]
    public void A_surrogate_pair_is_rejected_like_the_server_does()
    {
        // The server checks UTF-16 code units, so every supplementary character (emoji, ...) is invalid.
        Assert.NotNull(ZooKeeperPath.GetError("/smile\ud83d\ude00"));
        Assert.NotNull(ZooKeeperPath.GetError("/\U0001F600"));
    }

    // ================================================================= ZooKeeperPath: sequential

    [Theory]
    [InlineData("/a/", true)] // the server appends the counter: "/a/0000000001"
    [InlineData("/a/b-", true)]
    [InlineData("/a/b", true)]
    [InlineData("/...", true)]
    [InlineData("/a//", false)] // "/a//0000000001" still has an empty component
    [InlineData("//", false)]
    [InlineData("", false)]
    [InlineData("a/", false)]
    [InlineData("/a/./", false)]
    [InlineData("/a/../", false)]
    [InlineData("/a\u0001/", false)]
    public void Sequential_paths_may_end_with_a_slash(string path, bool valid)
    {
        Assert.Equal(valid, ZooKeeperPath.GetError(path, isSequential: true) is null);
        if (path.EndsWith('/') && path.Length > 1)
        {
            Assert.NotNull(ZooKeeperPath.GetError(path)); // never without the sequential flag
        }
    }

    [Theory]
    [InlineData("/")] // server: "/1" is valid; the node becomes "/0000000001"
    [InlineData("/a/.")] // server: "/a/.1" is valid; the node becomes "/a/.0000000001"
    [InlineData("/a/..")] // server: "/a/..1" is valid
    public void Sequential_paths_the_server_accepts(string path)
    {
        Assert.Null(ZooKeeperPath.GetError(path, isSequential: true));
    }

    // ================================================================= ZooKeeperPath: helpers

    [Theory]
    [InlineData("/", null)]
    [InlineData("/a", "/")]
    [InlineData("/a/b", "/a")]
    [InlineData("/a/b/c", "/a/b")]
    public void GetParent(string path, string? parent) => Assert.Equal(parent, ZooKeeperPath.GetParent(path));

    [Theory]
    [InlineData("/a", "a")]
    [InlineData("/a/b.c", "b.c")]
    [InlineData("/", "")]
    public void GetName(string path, string name) => Assert.Equal(name, ZooKeeperPath.GetName(path));

    [Theory]
    [InlineData("/", "a", "/a")]
    [InlineData("/", "/a", "/a")]
    [InlineData("/a", "b", "/a/b")]
    [InlineData("/a", "b/c", "/a/b/c")]
    [InlineData("/a", "", "/a")]
    public void Combine(string parent, string child, string expected) => Assert.Equal(expected, ZooKeeperPath.Combine(parent, child));

    [Theory]
    [InlineData("/a", "/", true)]
    [InlineData("/a", "/a", true)]
    [InlineData("/a/b", "/a", true)]
    [InlineData("/ab", "/a", false)]
    [InlineData("/a", "/a/b", false)]
    [InlineData("/b", "/a", false)]
    public void IsAtOrBelow(string path, string ancestor, bool expected) => Assert.Equal(expected, ZooKeeperPath.IsAtOrBelow(path, ancestor));

    // ================================================================= client API validates paths before sending

    [Fact]
    public async Task Client_calls_reject_invalid_paths_before_touching_the_network()
    {
        // Port 1 on loopback: nothing listens, and nothing should be sent anyway.
        await using var client = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectString = "127.0.0.1:1", SessionTimeout = TimeSpan.FromSeconds(1) });
        var calls = new (string Name, Func<Task> Call)[]
        {
            ("GetData", async () => await client.GetDataAsync("/a/")),
            ("Exists", async () => await client.ExistsAsync("a")),
            ("Create", async () => await client.CreateAsync("/a//b")),
            ("Delete", async () => await client.DeleteAsync("/a/..")),
            ("SetData", async () => await client.SetDataAsync("/a\u0001", default)),
            ("GetChildren", async () => await client.GetChildrenAsync(string.Empty)),
        };
        foreach (var (name, call) in calls)
        {
            var ex = await Assert.ThrowsAsync<ArgumentException>(call);
            Assert.True(ex.ParamName == "path", $"{name}: ParamName '{ex.ParamName}'");
            Assert.Contains("Invalid ZooKeeper path", ex.Message, StringComparison.Ordinal);
        }

        Assert.Equal(ConnectionState.Lost, client.State);
    }

    // ================================================================= ConnectionString: valid

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1", 2181)]
    [InlineData("localhost", "localhost", 2181)]
    [InlineData("zk-1.example.com:2182", "zk-1.example.com", 2182)]
    [InlineData("h:1", "h", 1)]
    [InlineData("h:65535", "h", 65535)]
    [InlineData("h:02181", "h", 2181)]
    [InlineData("[::1]", "::1", 2181)]
    [InlineData("[::1]:2183", "::1", 2183)]
    [InlineData("[fe80::1%eth0]:2181", "fe80::1%eth0", 2181)]
    [InlineData("[2001:db8::1]:10", "2001:db8::1", 10)]
    [InlineData("my_host", "my_host", 2181)]
    [InlineData("ZK_1.Example.COM:2", "ZK_1.Example.COM", 2)]
    [InlineData("1a.example", "1a.example", 2181)] // a label may start with a digit (RFC 1123)
    [InlineData("xn--bcher-kva.example", "xn--bcher-kva.example", 2181)]
    [InlineData("0.0.0.0:1", "0.0.0.0", 1)]
    [InlineData("255.255.255.255", "255.255.255.255", 2181)]
    [InlineData("[::ffff:127.0.0.1]:7", "::ffff:127.0.0.1", 7)]
    [InlineData("[fe80::1%3]", "fe80::1%3", 2181)]
    public void Single_server(string text, string host, int port)
    {
        var cs = ConnectionString.Parse(text);
        Assert.Equal([new ServerAddress(host, port)], cs.Servers);
        Assert.Null(cs.Chroot);
        Assert.Equal(new ServerAddress(host, port), ConnectionString.ParseServer(text));
    }

    [Fact]
    public void Several_servers_keep_their_order_and_ports()
    {
        var cs = ConnectionString.Parse("a:1,b,[::1]:3,10.0.0.1:4");
        Assert.Equal(
            [new ServerAddress("a", 1), new ServerAddress("b", 2181), new ServerAddress("::1", 3), new ServerAddress("10.0.0.1", 4)],
            cs.Servers);
        Assert.Equal("a:1,b:2181,[::1]:3,10.0.0.1:4", cs.ToString());
    }

    [Theory]
    [InlineData("h:2181/app", "/app")]
    [InlineData("h/app/sub", "/app/sub")]
    [InlineData("a:1,b:2/app", "/app")]
    [InlineData("[::1]:2181/app", "/app")]
    [InlineData("h/a,b:c", "/a,b:c")] // everything after the first '/' is the chroot, commas and colons included
    [InlineData("h/", null)] // "/" means no chroot
    [InlineData("h:2181/", null)]
    public void Chroot(string text, string? chroot)
    {
        var cs = ConnectionString.Parse(text);
        Assert.Equal(chroot, cs.Chroot);
        Assert.Equal(cs.ToString(), ConnectionString.Parse(cs.ToString()).ToString());
    }

    [Fact]
    public void Chroot_is_prefixed_to_server_paths()
    {
        var cs = ConnectionString.Parse("h/app");
        Assert.Equal("/app", cs.ToServerPath("/"));
        Assert.Equal("/app/x/y", cs.ToServerPath("/x/y"));
        Assert.Equal("/x", ConnectionString.Parse("h").ToServerPath("/x"));
    }

    [Theory]
    [InlineData("h", 2181, "h:2181")]
    [InlineData("::1", 2181, "[::1]:2181")]
    [InlineData("10.1.2.3", 7, "10.1.2.3:7")]
    public void ServerAddress_formats_IPv6_in_brackets(string host, int port, string text)
    {
        Assert.Equal(text, new ServerAddress(host, port).ToString());
        Assert.Equal(new ServerAddress(host, port), ConnectionString.ParseServer(text));
    }

    // ================================================================= ConnectionString: host rules (ServerHost)

    private static readonly string Label63 = new('a', 63);

    /// <summary>
    /// Hosts the one server-entry grammar refuses, with a fragment of the reason. The container's resolver uses the same
    /// grammar (tests/Orleans.ZooKeeper.Tests/ServerGrammarAgreementTests.cs feeds a host table through both).
    /// </summary>
    public static TheoryData<string, string> RefusedHosts => new()
    {
        { "zk.", "ending in '.'" }, // /etc/hosts does not match it; ZooKeeper's TLS server refuses it as SNI
        { "zk.example.com.:2181", "ending in '.'" },
        { ".zk", "empty label" },
        { "a..b", "empty label" },
        { ".", "empty label" },
        { "-zk", "starts or ends with '-'" },
        { "zk-", "starts or ends with '-'" },
        { "a.-b.c", "starts or ends with '-'" },
        { "1.8", "not a valid IPv4 address" }, // IPAddress.TryParse reads 1.0.0.8
        { "0", "not a valid IPv4 address" }, // 0.0.0.0
        { "01", "not a valid IPv4 address" },
        { "010.0.0.1", "not a valid IPv4 address" }, // octal: 8.0.0.1
        { "300.1.1.1", "not a valid IPv4 address" },
        { "1.2.3.4.", "not a valid IPv4 address" },
        { "1.2.3.4.5:2181", "not a valid IPv4 address" },
        { "0x7f.1", "read as the IPv4 address 127.0.0.1" },
        { "0x7f000001:2181", "read as the IPv4 address 127.0.0.1" },
        { "h%eth0", "invalid host name 'h%eth0'" },
        { "h*st", "'*' is not allowed" },
        { "[zk1]", "not an IPv6 address" },
        { "[1.2.3.4]:2181", "not an IPv6 address" },
        { "[:::]", "not an IPv6 address" },
        { "[::1%]", "invalid IPv6 zone ''" },
        { "[fe80::1%e$h]", "invalid IPv6 zone 'e$h'" },
        { Label63 + "a.example", "longer than 63 characters" },
        { string.Join('.', Enumerable.Repeat(Label63, 4)), "at most 253" }, // 255 characters
    };

    [Theory]
    [MemberData(nameof(RefusedHosts))]
    public void Host_rules_refuse_what_the_client_could_not_connect_to_as_written(string text, string detail)
    {
        var ex = Assert.Throws<FormatException>(() => ConnectionString.Parse(text));
        Assert.Contains(detail, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"'{text}'", ex.Message, StringComparison.Ordinal);
        var alone = Assert.Throws<FormatException>(() => ConnectionString.ParseServer(text));
        Assert.Contains(detail, alone.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Host_names_at_the_length_limits_are_accepted()
    {
        var name = string.Join('.', Enumerable.Repeat(Label63, 3)) + "." + new string('b', 61); // 253 characters
        Assert.Equal(253, name.Length);
        Assert.Equal(new ServerAddress(name, 2181), ConnectionString.ParseServer(name));
        Assert.Equal(new ServerAddress(Label63, 1), ConnectionString.ParseServer(Label63 + ":1"));
    }

    // ================================================================= ConnectionString: invalid

    [Theory]
    [InlineData("h:0", "'0'")]
    [InlineData("h:65536", "'65536'")]
    [InlineData("h:-1", "'-1'")]
    [InlineData("h:+1", "'+1'")]
    [InlineData("h:abc", "'abc'")]
    [InlineData("h:", "''")]
    [InlineData("h:99999999999", "'99999999999'")]
    [InlineData("h:2181:2182", "brackets")] // two colons: an unbracketed IPv6 address
    [InlineData("::1", "brackets")]
    [InlineData("fe80::1:2181", "brackets")]
    [InlineData("[::1", "unclosed")]
    [InlineData("[::1]2181", "':'")]
    [InlineData("[::1]:", "''")]
    [InlineData("[]:2181", "empty host")]
    [InlineData(":2181", "empty host")]
    [InlineData("h1,,h2", "Empty server entry")]
    [InlineData("h1,", "Empty server entry")]
    [InlineData(",h1", "Empty server entry")]
    [InlineData("h1, h2", "whitespace")]
    [InlineData("h1 ,h2", "whitespace")]
    [InlineData(" h1", "whitespace")]
    [InlineData("h1:2181 ", "whitespace")]
    [InlineData("h\t1", "whitespace")]
    [InlineData("h\u00a01", "whitespace")]
    [InlineData("ho$t", "'ho$t'")]
    [InlineData("h\u00e9", "invalid host")]
    [InlineData("/app", "Empty server entry")]
    [InlineData("h/app/", "chroot")]
    [InlineData("h/app//x", "chroot")]
    [InlineData("h/app/./x", "chroot")]
    [InlineData("h/app/..", "chroot")]
    [InlineData("h//", "chroot")]
    public void Invalid_connect_strings_throw_FormatException_naming_the_problem(string text, string detail)
    {
        var ex = Assert.Throws<FormatException>(() => ConnectionString.Parse(text));
        Assert.Contains(detail, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"'{text}'", ex.Message, StringComparison.Ordinal); // the whole connect string is quoted
    }

    [Theory]
    [InlineData("h:0", "'h:0'")]
    [InlineData("[::1", "'[::1'")]
    [InlineData("", "Empty server entry")]
    [InlineData("a b", "'a b'")]
    public void ParseServer_alone_names_the_entry(string entry, string detail)
    {
        var ex = Assert.Throws<FormatException>(() => ConnectionString.ParseServer(entry));
        Assert.Contains(detail, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\t\n")]
    public void Empty_or_blank_connect_string_is_a_FormatException(string text)
    {
        var ex = Assert.Throws<FormatException>(() => ConnectionString.Parse(text));
        Assert.Contains("empty", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_connect_string_is_an_ArgumentNullException() => Assert.Throws<ArgumentNullException>(() => ConnectionString.Parse(null!));

    [Fact]
    public void Invalid_chroot_message_shows_control_characters_escaped()
    {
        var ex = Assert.Throws<FormatException>(() => ConnectionString.Parse("h/app\u0001"));
        Assert.Contains("'/app\\u0001'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Client_constructor_rejects_an_invalid_connect_string()
    {
        var ex = Assert.Throws<FormatException>(() => new ZooKeeperClient("h1:2181,,h2"));
        Assert.Contains("'h1:2181,,h2'", ex.Message, StringComparison.Ordinal);
    }
}
