using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Orleans.ZooKeeper.Client.Proto;

/// <summary>
/// A growable, pooled byte buffer into which length-prefixed jute frames are serialized back to back.
/// Not thread-safe: the owner serializes access.
/// </summary>
internal sealed class FrameBuffer : IDisposable
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private byte[] _buffer;
    private int _length;

    public FrameBuffer(int initialCapacity = 16 * 1024)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    /// <summary>Bytes written so far.</summary>
    public int Length => _length;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public void Reset(int shrinkAbove = 4 * 1024 * 1024)
    {
        _length = 0;
        if (_buffer.Length > shrinkAbove)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        }
    }

    /// <summary>Starts a frame: reserves the 4-byte length prefix and returns the frame's start offset.</summary>
    public int BeginFrame()
    {
        var start = _length;
        Ensure(4);
        _length += 4;
        return start;
    }

    /// <summary>Ends a frame: writes its length prefix and returns that length (excluding the prefix).</summary>
    public int EndFrame(int start)
    {
        var len = _length - start - 4;
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(start, 4), len);
        return len;
    }

    /// <summary>Forgets everything written since <paramref name="start"/>.</summary>
    public void Rollback(int start) => _length = start;

    /// <summary>Appends bytes that already form whole frames (e.g. a request serialized while it waited in the FIFO).</summary>
    public void WriteRaw(ReadOnlySpan<byte> frames)
    {
        Ensure(frames.Length);
        frames.CopyTo(_buffer.AsSpan(_length));
        _length += frames.Length;
    }

    public void WriteInt(int value)
    {
        Ensure(4);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    public void WriteLong(long value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64BigEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    public void WriteBool(bool value)
    {
        Ensure(1);
        _buffer[_length++] = value ? (byte)1 : (byte)0;
    }

    /// <summary>Writes a jute buffer; null is encoded as length -1.</summary>
    public void WriteBuffer(ReadOnlySpan<byte> value, bool isNull = false)
    {
        if (isNull)
        {
            WriteInt(-1);
            return;
        }

        WriteInt(value.Length);
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
    }

    /// <summary>Writes a jute ustring.</summary>
    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteInt(-1);
            return;
        }

        WriteConcatenated(string.Empty, value);
    }

    /// <summary>Writes <paramref name="prefix"/> + <paramref name="value"/> as one ustring without concatenating them in memory.</summary>
    public void WriteConcatenated(string prefix, string value)
    {
        var max = StrictUtf8.GetMaxByteCount(prefix.Length + value.Length);
        Ensure(4 + max);
        var lengthAt = _length;
        var written = StrictUtf8.GetBytes(prefix, _buffer.AsSpan(_length + 4));
        written += StrictUtf8.GetBytes(value, _buffer.AsSpan(_length + 4 + written));
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(lengthAt, 4), written);
        _length += 4 + written;
    }

    public void WriteStringVector(IReadOnlyCollection<string>? values)
    {
        if (values is null)
        {
            WriteInt(-1);
            return;
        }

        WriteInt(values.Count);
        foreach (var v in values)
        {
            WriteString(v);
        }
    }

    private void Ensure(int extra)
    {
        var needed = _length + extra;
        if (needed <= _buffer.Length)
        {
            return;
        }

        var size = Math.Max(needed, _buffer.Length * 2);
        var next = ArrayPool<byte>.Shared.Rent(size);
        _buffer.AsSpan(0, _length).CopyTo(next);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = next;
    }

    public void Dispose()
    {
        var b = _buffer;
        _buffer = [];
        _length = 0;
        if (b.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(b);
        }
    }
}
