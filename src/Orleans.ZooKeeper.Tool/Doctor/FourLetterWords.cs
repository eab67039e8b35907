using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Tool.Doctor;

/// <summary>What one ensemble member said to a four-letter word, and how long the round trip took.</summary>
internal sealed record FourLetterAnswer(ServerAddress Server, string Word, string? Text, double RoundTripMilliseconds, string? Problem)
{
    /// <summary>The value of a <c>Name: value</c> line of the answer (<c>srvr</c>), or null.</summary>
    public string? Field(string name)
    {
        foreach (var line in (Text ?? string.Empty).Split('\n'))
        {
            if (line.StartsWith(name + ":", StringComparison.Ordinal))
            {
                return line[(name.Length + 1)..].Trim();
            }
        }

        return null;
    }
}

/// <summary>
/// ZooKeeper's four-letter words (<c>srvr</c>, <c>cons</c>) over a plain TCP connection to one member: the server
/// answers and closes. Refused words (not in <c>4lw.commands.whitelist</c>) come back as a problem, not an error.
/// </summary>
internal static class FourLetterWords
{
    public static async Task<FourLetterAnswer> AskAsync(ServerAddress server, string word, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var watch = Stopwatch.StartNew();
        try
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(server.Host, server.Port, deadline.Token).ConfigureAwait(false);
            await socket.SendAsync(Encoding.ASCII.GetBytes(word), SocketFlags.None, deadline.Token).ConfigureAwait(false);
            var answer = new MemoryStream();
            var buffer = new byte[8192];
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false)) > 0)
            {
                answer.Write(buffer, 0, read);
            }

            var text = Encoding.UTF8.GetString(answer.ToArray());
            var elapsed = watch.Elapsed.TotalMilliseconds;
            return text.Contains("is not executed because it is not in the whitelist", StringComparison.Ordinal)
                ? new FourLetterAnswer(server, word, null, elapsed, $"'{word}' is not allowed by the server (4lw.commands.whitelist)")
                : new FourLetterAnswer(server, word, text, elapsed, text.Length == 0 ? $"no answer to '{word}'" : null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new FourLetterAnswer(server, word, null, watch.Elapsed.TotalMilliseconds, $"no answer within {timeout.TotalSeconds:0} s");
        }
        catch (SocketException ex)
        {
            return new FourLetterAnswer(server, word, null, watch.Elapsed.TotalMilliseconds, ex.Message);
        }
    }

    /// <summary>The session ids in a <c>cons</c> answer (<c>sid=0x…</c>).</summary>
    public static IEnumerable<long> SessionsIn(string consAnswer)
    {
        var at = 0;
        while ((at = consAnswer.IndexOf("sid=0x", at, StringComparison.Ordinal)) >= 0)
        {
            at += 6;
            var end = at;
            while (end < consAnswer.Length && Uri.IsHexDigit(consAnswer[end]))
            {
                end++;
            }

            if (long.TryParse(consAnswer.AsSpan(at, end - at), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var id))
            {
                yield return id;
            }
        }
    }
}
