using System.Text;
using CsCheck;
using Orleans.ZooKeeper.Client.Sasl;

namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>DIGEST-MD5 arithmetic (the RFC's example), the hardened challenge parser, and option validation.</summary>
public sealed class SaslUnitTests
{
    private static readonly TimeSpan PropertyTimeout = TimeSpan.FromSeconds(30);

    private static Task Property(Action run) => Task.Factory.StartNew(run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).WaitAsync(PropertyTimeout);

    [Fact]
    public void Response_and_rspauth_match_the_example_of_RFC_2831()
    {
        // RFC 2831 §4, example 1 (IMAP): the response and the server's rspauth the RFC prints.
        var (response, rspauth) = DigestMd5Mechanism.Compute("chris", "elwood.innosoft.com", "secret", "OA6MG9tEQGm2hh", "OA6MHXh6VqTrRk", "00000001", "imap/elwood.innosoft.com", utf8: false);
        Assert.Equal("d388dad90d4bbd760a152321f2143af7", response);
        Assert.Equal("ea40f60335c427b5527b84dbabcdfffd", rspauth);
    }

    [Fact]
    public void The_mechanism_answers_the_challenge_and_verifies_the_server()
    {
        var challenge = "realm=\"elwood.innosoft.com\",nonce=\"OA6MG9tEQGm2hh\",qop=\"auth\",algorithm=md5-sess,charset=utf-8"u8.ToArray();
        using var mechanism = new DigestMd5Mechanism("chris", () => "secret", "imap/elwood.innosoft.com", () => "OA6MHXh6VqTrRk");
        Assert.Empty(mechanism.GetInitialResponse());
        var response = Encoding.UTF8.GetString(mechanism.EvaluateChallenge(challenge)!);
        var directives = DigestDirectives.Parse(Encoding.UTF8.GetBytes(response));
        Assert.Equal("chris", DigestDirectives.Single(directives, "username"));
        Assert.Equal("imap/elwood.innosoft.com", DigestDirectives.Single(directives, "digest-uri"));
        Assert.Equal("d388dad90d4bbd760a152321f2143af7", DigestDirectives.Single(directives, "response"));
        Assert.Equal("auth", DigestDirectives.Single(directives, "qop"));
        Assert.DoesNotContain("secret", response, StringComparison.Ordinal);
        Assert.False(mechanism.IsComplete);

        Assert.Null(mechanism.EvaluateChallenge("rspauth=ea40f60335c427b5527b84dbabcdfffd"u8));
        Assert.True(mechanism.IsComplete);
    }

    [Theory]
    [InlineData("rspauth=00000000000000000000000000000000", "rspauth does not match")]
    [InlineData("nothing=here", "no rspauth")]
    public void A_server_that_cannot_prove_the_password_is_refused(string last, string expected)
    {
        using var mechanism = new DigestMd5Mechanism("chris", () => "secret", "imap/elwood.innosoft.com", () => "OA6MHXh6VqTrRk");
        mechanism.EvaluateChallenge("nonce=\"OA6MG9tEQGm2hh\",qop=\"auth\",algorithm=md5-sess"u8);
        var ex = Assert.Throws<FormatException>(() => mechanism.EvaluateChallenge(Encoding.UTF8.GetBytes(last)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.False(mechanism.IsComplete);
    }

    [Theory]
    [InlineData("", "SASL is not set up")]
    [InlineData("qop=\"auth\",algorithm=md5-sess", "no nonce")]
    [InlineData("nonce=\"n\",qop=\"auth\"", "no algorithm=md5-sess")]
    [InlineData("nonce=\"n\",algorithm=md5", "algorithm 'md5'")]
    [InlineData("nonce=\"n\",algorithm=md5-sess,qop=\"auth-conf\"", "supports 'auth'")]
    [InlineData("nonce=\"a\",nonce=\"b\",algorithm=md5-sess", "repeats the directive 'nonce'")]
    [InlineData("nonce=\"unclosed,algorithm=md5-sess", "not closed")]
    [InlineData("nonce \"n\"", "no '=value'")]
    [InlineData("nonce=\"n\" x", "',' was expected")]
    [InlineData("nonce=\"nönce\",algorithm=md5-sess", "not ASCII")]
    public void A_malformed_or_unacceptable_challenge_is_refused_with_the_reason(string challenge, string expected)
    {
        using var mechanism = new DigestMd5Mechanism("u", () => "p", ZooKeeperSaslOptions.DigestMd5ServerPrincipal);
        var ex = Assert.Throws<FormatException>(() => mechanism.EvaluateChallenge(Encoding.UTF8.GetBytes(challenge)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public Task The_challenge_parser_fails_only_with_FormatException_on_any_bytes() => Property(() =>
        Gen.Byte.Array[0, 300].Sample(
            bytes =>
            {
                try
                {
                    DigestDirectives.Parse(bytes);
                }
                catch (FormatException)
                {
                }
            },
            iter: 20_000,
            threads: 1));

    [Fact]
    public Task Quoted_values_round_trip_through_the_parser() => Property(() =>
        Gen.Select(Gen.String[Gen.Char["abc\"\\,= \t/"], 0, 20], Gen.String[Gen.Char["xyz-"], 1, 8]).Sample(
            pair =>
            {
                var (value, name) = pair;
                var text = new StringBuilder("first=1, ");
                DigestDirectives.AppendQuoted(text, name, value);
                text.Append(" ,last=token/with+base64==");
                var parsed = DigestDirectives.Parse(Encoding.UTF8.GetBytes(text.ToString()));
                Assert.Equal(value, DigestDirectives.Single(parsed, name));
                Assert.Equal("token/with+base64==", parsed[^1].Value);
            },
            iter: 5_000,
            threads: 1));

    [Fact]
    public void Characters_beyond_latin_1_are_hashed_as_utf8_only_with_charset_utf8()
    {
        var latin = DigestMd5Mechanism.Compute("jürgen", "r", "pässword", "n", "c", "00000001", "zookeeper/zk-sasl-md5", utf8: true);
        var same = DigestMd5Mechanism.Compute("jürgen", "r", "pässword", "n", "c", "00000001", "zookeeper/zk-sasl-md5", utf8: false);
        Assert.Equal(same, latin); // ISO 8859-1 either way: every character fits.
        var beyond = DigestMd5Mechanism.Compute("user", "r", "pass€", "n", "c", "00000001", "zookeeper/zk-sasl-md5", utf8: true);
        Assert.NotEqual(beyond, DigestMd5Mechanism.Compute("user", "r", "pass?", "n", "c", "00000001", "zookeeper/zk-sasl-md5", utf8: true));
    }

    [Fact]
    public async Task Options_name_what_is_missing_or_unsupported_and_never_show_the_password()
    {
        static ArgumentException Invalid(Action<ZooKeeperSaslOptions> configure)
        {
            var options = new ZooKeeperClientOptions().UseSasl(configure);
            return Assert.ThrowsAny<ArgumentException>(() => new ZooKeeperClient(options));
        }

        Assert.Contains("'PLAIN' is not built in: DIGEST-MD5 and GSSAPI are", Invalid(s => { s.Mechanism = "PLAIN"; s.Username = "u"; s.Password = "p"; }).Message, StringComparison.Ordinal);
        Assert.Contains("GSSAPI has a password but no user", Invalid(s => { s.Mechanism = "GSSAPI"; s.Password = "p"; }).Message, StringComparison.Ordinal);
        Assert.Contains("needs a user name", Invalid(s => s.Password = "p").Message, StringComparison.Ordinal);
        Assert.Contains("user 'u' needs a password", Invalid(s => s.Username = "u").Message, StringComparison.Ordinal);
        Assert.Contains("server principal", Invalid(s => { s.Username = "u"; s.Password = "p"; s.ServerPrincipal = "a\"b"; }).Message, StringComparison.Ordinal);

        var sasl = new ZooKeeperClientOptions().UseSasl("alice", "hunter2").Sasl!;
        Assert.Equal("SASL DIGEST-MD5 as 'alice'", sasl.ToString());
        Assert.Equal(ZooKeeperSaslOptions.DigestMd5ServerPrincipal, sasl.PrincipalFor(new ServerAddress("zk1.example", 2181)));
        var kerberos = new ZooKeeperClientOptions().UseSasl(s => s.Mechanism = ZooKeeperSaslOptions.Gssapi).Sasl!;
        Assert.Equal("zookeeper/zk1.example", kerberos.PrincipalFor(new ServerAddress("zk1.example", 2181)));
        Assert.Equal("SASL GSSAPI with the default credentials", kerberos.ToString());
        // Valid: GSSAPI needs neither user nor password (the default Kerberos credentials); nothing connects before Start.
        await new ZooKeeperClient(new ZooKeeperClientOptions().UseSasl(s => s.Mechanism = "gssapi")).DisposeAsync();

        sasl.MechanismFactory = _ => throw new NotSupportedException();
        Assert.Equal("zookeeper/zk1.example", sasl.PrincipalFor(new ServerAddress("zk1.example", 2181)));
        Assert.Equal([new Acl(Permissions.Read, new ZooKeeperId("sasl", "alice"))], Acls.Sasl("alice", Permissions.Read));
    }
}
