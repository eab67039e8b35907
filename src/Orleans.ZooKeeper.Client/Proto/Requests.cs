namespace Orleans.ZooKeeper.Client.Proto;

/// <summary>A request body that serializes itself after the request header. Structs, so the send path does not allocate.</summary>
internal interface IRequestBody
{
    OpCode Op { get; }

    void Write(FrameBuffer buffer, Chroot chroot);
}

/// <summary>Serialization of request records (zookeeper.jute), paths prefixed with the chroot.</summary>
internal static class RequestWriter
{
    /// <summary>
    /// Writes one request frame (length prefix, header, body). Returns the frame length (excluding the prefix); a
    /// frame over <paramref name="maxPacket"/> is rolled back and its length returned negated. A body that throws
    /// while serializing leaves nothing behind either.
    /// </summary>
    public static int WriteFrame<TBody>(FrameBuffer buffer, int xid, ref TBody body, Chroot chroot, int maxPacket)
        where TBody : struct, IRequestBody
    {
        var start = buffer.BeginFrame();
        try
        {
            RequestHeader.Write(buffer, xid, body.Op);
            body.Write(buffer, chroot);
        }
        catch
        {
            // Never leave half a frame in a batch: the stream would be corrupt for every later request.
            buffer.Rollback(start);
            throw;
        }

        var size = buffer.EndFrame(start);
        if (size > maxPacket)
        {
            buffer.Rollback(start);
            return -size;
        }

        return size;
    }

    /// <summary>A path followed by an int (delete, check, removeWatches, addWatch).</summary>
    public static void WritePathInt(FrameBuffer b, Chroot chroot, string path, int value)
    {
        chroot.WritePath(b, path);
        b.WriteInt(value);
    }

    /// <summary>A path followed by a watch flag (exists, getData, getChildren).</summary>
    public static void WritePathBool(FrameBuffer b, Chroot chroot, string path, bool value)
    {
        chroot.WritePath(b, path);
        b.WriteBool(value);
    }

    public static void WriteAcl(FrameBuffer b, IReadOnlyList<Acl> acl)
    {
        b.WriteInt(acl.Count);
        for (var i = 0; i < acl.Count; i++)
        {
            b.WriteInt((int)acl[i].Permissions);
            b.WriteString(acl[i].Id.Scheme);
            b.WriteString(acl[i].Id.Id);
        }
    }

    /// <summary>The wire op a create uses for a mode: create2, createContainer or createTTL (all answer with a Stat).</summary>
    public static OpCode CreateOpFor(CreateMode mode) => mode switch
    {
        CreateMode.Container => OpCode.CreateContainer,
        CreateMode.PersistentWithTtl or CreateMode.PersistentSequentialWithTtl => OpCode.CreateTtl,
        _ => OpCode.Create2,
    };

    /// <summary>CreateRequest / CreateTTLRequest body.</summary>
    public static void WriteCreate(FrameBuffer b, Chroot chroot, string path, ReadOnlySpan<byte> data, IReadOnlyList<Acl> acl, CreateMode mode, long ttlMilliseconds)
    {
        chroot.WritePath(b, path);
        b.WriteBuffer(data);
        WriteAcl(b, acl);
        b.WriteInt((int)mode);
        if (mode.IsTtl())
        {
            b.WriteLong(ttlMilliseconds);
        }
    }

    /// <summary>SetDataRequest body.</summary>
    public static void WriteSetData(FrameBuffer b, Chroot chroot, string path, ReadOnlySpan<byte> data, int version)
    {
        chroot.WritePath(b, path);
        b.WriteBuffer(data);
        b.WriteInt(version);
    }
}

internal readonly struct CreateRequest(string path, ReadOnlyMemory<byte> data, IReadOnlyList<Acl> acl, CreateMode mode, long ttlMilliseconds) : IRequestBody
{
    public OpCode Op => RequestWriter.CreateOpFor(mode);

    public void Write(FrameBuffer b, Chroot chroot) => RequestWriter.WriteCreate(b, chroot, path, data.Span, acl, mode, ttlMilliseconds);
}

/// <summary>Any request whose body is a path and an int (delete, check, removeWatches, checkWatches, addWatch).</summary>
internal readonly struct PathIntRequest(OpCode op, string path, int value) : IRequestBody
{
    public OpCode Op => op;

    public void Write(FrameBuffer b, Chroot chroot) => RequestWriter.WritePathInt(b, chroot, path, value);
}

/// <summary>Any request whose body is a path and a watch flag (exists, getData, getChildren, getChildren2).</summary>
internal readonly struct PathWatchRequest(OpCode op, string path, bool watch) : IRequestBody
{
    public OpCode Op => op;

    public void Write(FrameBuffer b, Chroot chroot) => RequestWriter.WritePathBool(b, chroot, path, watch);
}

/// <summary>Any request whose body is just a path (sync, getACL, getEphemerals, getAllChildrenNumber).</summary>
internal readonly struct PathRequest(OpCode op, string path) : IRequestBody
{
    public OpCode Op => op;

    public void Write(FrameBuffer b, Chroot chroot) => chroot.WritePath(b, path);
}

/// <summary>A request with no body (whoAmI, closeSession).</summary>
internal readonly struct EmptyRequest(OpCode op) : IRequestBody
{
    public OpCode Op => op;

    public void Write(FrameBuffer b, Chroot chroot)
    {
    }
}

internal readonly struct SetDataRequest(string path, ReadOnlyMemory<byte> data, int version) : IRequestBody
{
    public OpCode Op => OpCode.SetData;

    public void Write(FrameBuffer b, Chroot chroot) => RequestWriter.WriteSetData(b, chroot, path, data.Span, version);
}

internal readonly struct SetAclRequest(string path, IReadOnlyList<Acl> acl, int version) : IRequestBody
{
    public OpCode Op => OpCode.SetAcl;

    public void Write(FrameBuffer b, Chroot chroot)
    {
        chroot.WritePath(b, path);
        RequestWriter.WriteAcl(b, acl);
        b.WriteInt(version);
    }
}

/// <summary>An auth packet's body (scheme and secret); sent on the reserved auth xid, never logged.</summary>
internal readonly struct AuthRequest(string scheme, byte[] auth) : IRequestBody
{
    public OpCode Op => OpCode.Auth;

    public void Write(FrameBuffer b, Chroot chroot)
    {
        b.WriteInt(0);
        b.WriteString(scheme);
        b.WriteBuffer(auth);
    }
}
