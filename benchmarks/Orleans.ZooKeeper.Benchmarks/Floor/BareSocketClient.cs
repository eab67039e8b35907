using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Orleans.ZooKeeper.Benchmarks.Floor;

/// <summary>
/// The least any ZooKeeper client can do per request: one blocking TCP socket, one session, frames built before the
/// timed section, replies only counted (not decoded, nothing completed, no queues, no locks). It speaks just enough of
/// the protocol for the floor benchmark (handshake, getData, setData, create2 with the open ACL) and is not a client.
/// </summary>
internal sealed class BareSocketClient : IDisposable
{
    private const int OpCreate2 = 15;
    private const int OpGetData = 4;
    private const int OpSetData = 5;
    private const int PermsAll = 31;

    private readonly Socket _socket;
    private byte[] _buffer = new byte[1 << 20];
    private int _start;
    private int _end;
    private int _xid;

    private BareSocketClient(Socket socket) => _socket = socket;

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/> and completes the session handshake.</summary>
    public static BareSocketClient Connect(int port, int sessionTimeoutMs)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Connect("127.0.0.1", port);
            var client = new BareSocketClient(socket);
            using var frame = new FrameWriter();
            frame.Int(0);                  // protocol version
            frame.Long(0);                 // last zxid seen
            frame.Int(sessionTimeoutMs);
            frame.Long(0);                 // session id: new
            frame.Bytes(new byte[16]);     // password
            frame.Bool(false);             // read-only allowed
            client.SendAll(frame.ToFrame());
            client.ReadFrame();
            return client;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A getData request frame (no watch).</summary>
    public byte[] GetDataFrame(string path)
    {
        using var frame = Header(OpGetData);
        frame.String(path);
        frame.Bool(false);
        return frame.ToFrame();
    }

    /// <summary>A setData request frame (any version).</summary>
    public byte[] SetDataFrame(string path, byte[] data)
    {
        using var frame = Header(OpSetData);
        frame.String(path);
        frame.Bytes(data);
        frame.Int(-1);
        return frame.ToFrame();
    }

    /// <summary>Create2 request frames for <paramref name="paths"/>, one after another in one array (persistent, open ACL).</summary>
    public byte[] CreateFrames(IReadOnlyList<string> paths, byte[] data)
    {
        using var all = new MemoryStream();
        foreach (var path in paths)
        {
            using var frame = Header(OpCreate2);
            frame.String(path);
            frame.Bytes(data);
            frame.Int(1);
            frame.Int(PermsAll);
            frame.String("world");
            frame.String("anyone");
            frame.Int(0); // persistent
            all.Write(frame.ToFrame());
        }

        return all.ToArray();
    }

    /// <summary>Sends one request and waits for its reply.</summary>
    public void RoundTrip(byte[] frame)
    {
        SendAll(frame);
        ReadFrame();
    }

    /// <summary>Sends <paramref name="frames"/> (<paramref name="count"/> requests) from another thread while reading the replies on this one.</summary>
    public void Pipeline(byte[] frames, int count)
    {
        var sender = new Thread(() => SendAll(frames)) { IsBackground = true, Name = "bare socket sender" };
        sender.Start();
        for (var i = 0; i < count; i++)
        {
            ReadFrame();
        }

        sender.Join();
    }

    public void Dispose() => _socket.Dispose();

    private FrameWriter Header(int op)
    {
        var frame = new FrameWriter();
        frame.Int(++_xid);
        frame.Int(op);
        return frame;
    }

    private void SendAll(byte[] bytes)
    {
        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += _socket.Send(bytes, sent, bytes.Length - sent, SocketFlags.None);
        }
    }

    /// <summary>Consumes one reply frame (reading more from the socket only when no whole frame is buffered).</summary>
    private void ReadFrame()
    {
        while (true)
        {
            if (_end - _start >= 4)
            {
                var length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start));
                if (_end - _start >= 4 + length)
                {
                    _start += 4 + length;
                    if (_start == _end)
                    {
                        _start = _end = 0;
                    }

                    return;
                }

                if (4 + length > _buffer.Length)
                {
                    Array.Resize(ref _buffer, 4 + length);
                }
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            var read = _socket.Receive(_buffer, _end, _buffer.Length - _end, SocketFlags.None);
            if (read == 0)
            {
                throw new IOException("the server closed the connection");
            }

            _end += read;
        }
    }

    /// <summary>Big-endian jute fields into a length-prefixed frame.</summary>
    private sealed class FrameWriter : IDisposable
    {
        private readonly MemoryStream _stream = new();

        public FrameWriter() => Int(0); // length, filled in by ToFrame

        public void Int(int value)
        {
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(bytes, value);
            _stream.Write(bytes);
        }

        public void Long(long value)
        {
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteInt64BigEndian(bytes, value);
            _stream.Write(bytes);
        }

        public void Bool(bool value) => _stream.WriteByte(value ? (byte)1 : (byte)0);

        public void Bytes(byte[] value)
        {
            Int(value.Length);
            _stream.Write(value);
        }

        public void String(string value) => Bytes(Encoding.UTF8.GetBytes(value));

        public byte[] ToFrame()
        {
            var frame = _stream.ToArray();
            BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
            return frame;
        }

        public void Dispose() => _stream.Dispose();
    }
}
