using System.Buffers;

namespace Orleans.Persistence.ZooKeeper;

/// <summary>
/// A state's stored bytes (header included) in a buffer rented from the shared pool; <see cref="Dispose"/> returns it,
/// once the request that sends the bytes has completed.
/// </summary>
internal readonly struct EncodedState : IDisposable
{
    private readonly byte[]? _rented;

    public EncodedState(byte[] buffer, int length, bool rented, StoredFormat format)
    {
        _rented = rented ? buffer : null;
        Data = buffer.AsMemory(0, length);
        Format = format;
    }

    /// <summary>The bytes to store.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>How they are encoded.</summary>
    public StoredFormat Format { get; }

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
        }
    }
}

/// <summary>
/// A growable buffer over arrays rented from the shared pool, one per thread, used synchronously: a state is written
/// into it and then handed over (<see cref="Detach"/>) as an <see cref="EncodedState"/>, so encoding allocates nothing.
/// </summary>
internal sealed class ScratchBuffer : IBufferWriter<byte>
{
    [ThreadStatic]
    private static ScratchBuffer? t_current;

    private byte[] _buffer = [];
    private int _written;

    /// <summary>This thread's buffer, emptied.</summary>
    public static ScratchBuffer Rent()
    {
        var scratch = t_current ??= new ScratchBuffer();
        scratch._written = 0;
        return scratch;
    }

    public int WrittenCount => _written;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        Advance(bytes.Length);
    }

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>Hands the written bytes over (the array goes with them) and leaves this buffer empty.</summary>
    public EncodedState Detach(StoredFormat format)
    {
        var encoded = _buffer.Length == 0 ? new EncodedState([], 0, rented: false, format) : new EncodedState(_buffer, _written, rented: true, format);
        _buffer = [];
        _written = 0;
        return encoded;
    }

    /// <summary>Drops what was written (after a failure), keeping the array for the next use.</summary>
    public void Clear() => _written = 0;

    private void Ensure(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }

        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(_buffer.Length * 2, 2048)));
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = bigger;
    }
}
