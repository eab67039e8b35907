using System.Buffers.Binary;
using System.Text;

namespace Orleans.ZooKeeper.Client.Proto;

/// <summary>
/// Reads jute-encoded fields from one received frame. Every read checks bounds and lengths and throws
/// <see cref="ProtocolException"/> on malformed input, so garbage from a server never escapes as anything else.
/// </summary>
internal ref struct JuteReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    public JuteReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _pos = 0;
    }

    public readonly int Remaining => _data.Length - _pos;

    public readonly int Position => _pos;

    public int ReadInt()
    {
        Need(4, "int");
        var v = BinaryPrimitives.ReadInt32BigEndian(_data.Slice(_pos));
        _pos += 4;
        return v;
    }

    public long ReadLong()
    {
        Need(8, "long");
        var v = BinaryPrimitives.ReadInt64BigEndian(_data.Slice(_pos));
        _pos += 8;
        return v;
    }

    public bool ReadBool()
    {
        Need(1, "bool");
        return _data[_pos++] != 0;
    }

    /// <summary>Reads a jute buffer; a null buffer (length -1) reads as an empty array.</summary>
    public byte[] ReadBuffer()
    {
        var len = ReadLength("buffer");
        if (len < 0)
        {
            return [];
        }

        var result = _data.Slice(_pos, len).ToArray();
        _pos += len;
        return result;
    }

    /// <summary>Reads a jute ustring; null (length -1) reads as null.</summary>
    public string? ReadNullableString()
    {
        var len = ReadLength("string");
        if (len < 0)
        {
            return null;
        }

        string s;
        try
        {
            s = StrictUtf8.GetString(_data.Slice(_pos, len));
        }
        catch (DecoderFallbackException)
        {
            throw new ProtocolException($"invalid UTF-8 in a string at offset {_pos}");
        }

        _pos += len;
        return s;
    }

    public string ReadString() => ReadNullableString() ?? throw new ProtocolException($"unexpected null string at offset {_pos - 4}");

    public List<string> ReadStringList()
    {
        var count = ReadCount("vector<ustring>", 4);
        var list = new List<string>(count < 0 ? 0 : count);
        for (var i = 0; i < count; i++)
        {
            list.Add(ReadString());
        }

        return list;
    }

    public Stat ReadStat()
    {
        Need(68, "Stat");
        return new Stat(
            Czxid: ReadLong(),
            Mzxid: ReadLong(),
            Ctime: ReadLong(),
            Mtime: ReadLong(),
            Version: ReadInt(),
            Cversion: ReadInt(),
            Aversion: ReadInt(),
            EphemeralOwner: ReadLong(),
            DataLength: ReadInt(),
            NumChildren: ReadInt(),
            Pzxid: ReadLong());
    }

    public List<Acl> ReadAclList()
    {
        var count = ReadCount("vector<ACL>", 12);
        var list = new List<Acl>(count < 0 ? 0 : count);
        for (var i = 0; i < count; i++)
        {
            var perms = (Permissions)ReadInt();
            var scheme = ReadString();
            var id = ReadString();
            list.Add(new Acl(perms, new ZooKeeperId(scheme, id)));
        }

        return list;
    }

    /// <summary>Reads a vector count; -1 (null) is returned as -1, anything that cannot fit is an error.</summary>
    public int ReadCount(string what, int minElementSize)
    {
        var count = ReadInt();
        if (count < -1 || (count > 0 && (long)count * minElementSize > Remaining))
        {
            throw new ProtocolException($"invalid {what} count {count} with {Remaining} bytes left");
        }

        return count;
    }

    private int ReadLength(string what)
    {
        var len = ReadInt();
        if (len < -1 || len > Remaining)
        {
            throw new ProtocolException($"invalid {what} length {len} with {Remaining} bytes left");
        }

        return len;
    }

    private readonly void Need(int count, string what)
    {
        if (_data.Length - _pos < count)
        {
            throw new ProtocolException($"truncated {what} at offset {_pos}: {_data.Length - _pos} bytes left, {count} needed");
        }
    }
}
