using Orleans.ZooKeeper.Client.Proto;
using Orleans.ZooKeeper.Client.Session;

namespace Orleans.ZooKeeper.Client.Sasl;

/// <summary>
/// The SASL exchange on a freshly handshaken connection, before its reader runs and before anything else is sent
/// (as the Java client holds back every other packet until SASL completes): GetSASLRequest {buffer token} packets of
/// type <c>sasl</c> (102) on ordinary xids, each answered by SetSASLResponse {buffer token}, until the mechanism is
/// complete. Blocking calls on the connect thread, bounded by the connect attempt's deadline.
/// </summary>
internal static class SaslExchange
{
    /// <summary>
    /// Authenticates the connection. Transport failures surface as IOException/ProtocolException (the attempt fails,
    /// the next server is tried); a refusal surfaces as <see cref="SaslRefusedException"/> (the client gives up).
    /// </summary>
    /// <returns>The mechanism's name, for the log.</returns>
    public static string Perform(Stream stream, ZooKeeperSaslOptions options, ServerAddress server, Func<int> nextXid, int maxPacketSize)
    {
        var principal = options.PrincipalFor(server);
        ISaslClientMechanism mechanism;
        try
        {
            mechanism = options.MechanismFactory is { } factory
                ? factory(new SaslMechanismContext(server, principal, options.Username)) ?? throw new InvalidOperationException("ZooKeeperSaslOptions.MechanismFactory returned null")
                : options.IsDigest
                    ? new DigestMd5Mechanism(options.Username!, options.ResolvePassword, principal)
                    : new GssapiMechanism(principal, options.Username, options.ResolveOptionalPassword());
        }
        catch (Exception ex)
        {
            throw Refused(server, options, options.Mechanism, "the mechanism could not be created: " + ex.Message, ex);
        }

        using (mechanism)
        {
            var name = mechanism.Name;
            byte[]? token;
            try
            {
                token = mechanism.GetInitialResponse();
            }
            catch (Exception ex)
            {
                throw Refused(server, options, name, ex.Message, ex);
            }

            while (token is not null)
            {
                var xid = nextXid();
                Send(stream, xid, token, maxPacketSize, server, options, name);
                var (error, challenge) = Receive(stream, xid, maxPacketSize);
                if (error != ErrorCode.Ok)
                {
                    throw Refused(server, options, name, error switch
                    {
                        ErrorCode.AuthFailed => "the server refused the credentials (wrong password, unknown user, or a mechanism or server principal it does not accept; its log says which)",
                        ErrorCode.SessionClosedRequireSaslAuth => "the server refused the credentials and requires SASL authentication (sessionRequireClientSASLAuth); wrong password, unknown user, or a mechanism or server principal it does not accept",
                        _ => $"the server answered the SASL token with {error}",
                    }, null, error);
                }

                if (mechanism.IsComplete)
                {
                    if (challenge.Length == 0)
                    {
                        break;
                    }

                    throw Refused(server, options, name, $"the server went on with the exchange after {name} was complete: it does not speak {name} (a ZooKeeper server serves the one mechanism its JAAS 'Server' section gives: DIGEST-MD5 for user lists, GSSAPI for Kerberos)", null);
                }

                try
                {
                    token = mechanism.EvaluateChallenge(challenge);
                }
                catch (Exception ex)
                {
                    throw Refused(server, options, name, ex.Message, ex);
                }

                if (token is null && !mechanism.IsComplete)
                {
                    throw Refused(server, options, name, "the mechanism has nothing to send but is not complete", null);
                }
            }

            return name;
        }
    }

    private static void Send(Stream stream, int xid, byte[] token, int maxPacketSize, ServerAddress server, ZooKeeperSaslOptions options, string name)
    {
        using var buffer = new FrameBuffer(64 + token.Length);
        var start = buffer.BeginFrame();
        RequestHeader.Write(buffer, xid, OpCode.Sasl);
        buffer.WriteBuffer(token);
        if (buffer.EndFrame(start) > maxPacketSize)
        {
            throw Refused(server, options, name, $"the mechanism's token ({token.Length} bytes) is over the packet limit", null);
        }

        stream.Write(buffer.WrittenSpan);
    }

    private static (ErrorCode Error, byte[] Token) Receive(Stream stream, int xid, int maxPacketSize)
    {
        var frame = Handshake.ReadFrame(stream, maxPacketSize, "the SASL exchange", "it refuses the SASL exchange");
        var reader = new JuteReader(frame);
        var header = ReplyHeader.Read(ref reader);
        if (header.Xid != xid)
        {
            throw new ProtocolException($"the server answered the SASL token (xid {xid}) with xid {header.Xid}");
        }

        if (header.Error != ErrorCode.Ok || reader.Remaining == 0)
        {
            return (header.Error, []);
        }

        return (header.Error, reader.ReadBuffer());
    }

    private static SaslRefusedException Refused(ServerAddress server, ZooKeeperSaslOptions options, string mechanism, string cause, Exception? inner, ErrorCode error = ErrorCode.AuthFailed)
    {
        var who = options.Username is { } user ? $" as '{ZooKeeperText.Printable(user)}'" : string.Empty;
        return new SaslRefusedException($"SASL {mechanism} authentication{who} with ZooKeeper {server} failed: {cause}", error, inner);
    }
}

/// <summary>The server refused (or could not take part in) the SASL exchange: the client gives up, nothing is retried.</summary>
internal sealed class SaslRefusedException(string message, ErrorCode error, Exception? inner) : Exception(message, inner)
{
    /// <summary>The server's error code, or AuthFailed when the client side refused.</summary>
    public ErrorCode Error { get; } = error;
}
