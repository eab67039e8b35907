using System.Net.Sockets;
using Orleans.ZooKeeper.Client.Transport;

namespace Orleans.ZooKeeper.Client.Tests;

/// <summary>
/// The stream that explains why a TLS 1.3 server hung up right after the handshake (a refused client certificate
/// shows only then): its first read — a failure or the end of the stream — gets the explanation; later ones pass.
/// </summary>
public sealed class FirstReadExplainingStreamTests
{
    [Fact]
    public void The_end_of_the_stream_before_any_byte_is_explained()
    {
        Exception? seen = new InvalidOperationException("not called");
        using var stream = new FirstReadExplainingStream(new MemoryStream([]), ex => { seen = ex; return "refused the one configured"; });
        var error = Assert.Throws<IOException>(() => stream.ReadExactly(new byte[4]));
        Assert.Equal("refused the one configured", error.Message);
        Assert.Null(seen); // null: the end of the stream, no exception
    }

    [Fact]
    public void A_failing_first_read_is_explained_with_the_failure_kept_inside()
    {
        var reset = new IOException("reset", new SocketException((int)SocketError.ConnectionReset));
        using var stream = new FirstReadExplainingStream(new FailingStream(reset), ex => ex is null ? null : "explained: " + ex.Message);
        var error = Assert.Throws<IOException>(() => stream.ReadExactly(new byte[4]));
        Assert.Equal("explained: reset", error.Message);
        Assert.Same(reset, error.InnerException);
    }

    [Fact]
    public void Without_an_explanation_the_original_outcome_stands_and_after_the_first_byte_nothing_is_explained()
    {
        using (var silent = new FirstReadExplainingStream(new MemoryStream([]), _ => null))
        {
            Assert.Equal(0, silent.Read(new byte[4]));
        }

        using var stream = new FirstReadExplainingStream(new MemoryStream([1, 2]), _ => "never");
        Assert.Equal(2, stream.Read(new byte[4]));
        Assert.Equal(0, stream.Read(new byte[4])); // the end of the stream after data is just that
    }

    private sealed class FailingStream(Exception error) : MemoryStream
    {
        public override int Read(Span<byte> buffer) => throw error;
    }
}
