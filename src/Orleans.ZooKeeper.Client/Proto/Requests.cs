using Orleans.ZooKeeper.Client.Session;

namespace Orleans.ZooKeeper.Client.Proto;

/// <summary>Serialization of request records (zookeeper.jute), paths prefixed with the chroot.</summary>
internal static class RequestWriter
{
    public static void WritePath(FrameBuffer b, ConnectionString chroot, string path)
    {
        var root = chroot.Chroot;
        if (root is null)
        {
            b.WriteString(path);
        }
        else if (path == "/")
        {
            b.WriteString(root);
        }
        else
        {
            b.WriteConcatenated(root, path);
        }
    }

    /// <summary>A path followed by an int (delete, check, removeWatches, addWatch, setData's tail).</summary>
    public static void WritePathInt(FrameBuffer b, ConnectionString chroot, string path, int value)
    {
        WritePath(b, chroot, path);
        b.WriteInt(value);
    }

    /// <summary>A path followed by a watch flag (exists, getData, getChildren).</summary>
    public static void WritePathBool(FrameBuffer b, ConnectionString chroot, string path, bool value)
    {
        WritePath(b, chroot, path);
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

    /// <summary>The wire op a create uses for a mode: create2, createContainer or createTTL.</summary>
    public static OpCode CreateOpFor(CreateMode mode) => mode switch
    {
        CreateMode.Container => OpCode.CreateContainer,
        CreateMode.PersistentWithTtl or CreateMode.PersistentSequentialWithTtl => OpCode.CreateTtl,
        _ => OpCode.Create2,
    };

    /// <summary>CreateRequest / CreateTTLRequest body.</summary>
    public static void WriteCreate(FrameBuffer b, ConnectionString chroot, string path, ReadOnlyMemory<byte> data, IReadOnlyList<Acl> acl, CreateMode mode, long ttl)
    {
        WritePath(b, chroot, path);
        b.WriteBuffer(data.Span);
        WriteAcl(b, acl);
        b.WriteInt((int)mode);
        if (mode.IsTtl())
        {
            b.WriteLong(ttl);
        }
    }
}

internal struct CreateRequest(string path, ReadOnlyMemory<byte> data, IReadOnlyList<Acl> acl, CreateMode mode, long ttl) : IRequestBody
{
    public readonly OpCode Op => RequestWriter.CreateOpFor(mode);

    public readonly void Write(FrameBuffer b, ConnectionString chroot) => RequestWriter.WriteCreate(b, chroot, path, data, acl, mode, ttl);
}

/// <summary>Any request whose body is a path and an int (delete, check, removeWatches, checkWatches, addWatch).</summary>
internal struct PathIntRequest(OpCode op, string path, int value) : IRequestBody
{
    public readonly OpCode Op => op;

    public readonly void Write(FrameBuffer b, ConnectionString chroot) => RequestWriter.WritePathInt(b, chroot, path, value);
}

/// <summary>Any request whose body is a path and a watch flag (exists, getData, getChildren, getChildren2).</summary>
internal struct PathWatchRequest(OpCode op, string path, bool watch) : IRequestBody
{
    public readonly OpCode Op => op;

    public readonly void Write(FrameBuffer b, ConnectionString chroot) => RequestWriter.WritePathBool(b, chroot, path, watch);
}

/// <summary>Any request whose body is just a path (sync, getACL, getEphemerals, getAllChildrenNumber).</summary>
internal struct PathRequest(OpCode op, string path) : IRequestBody
{
    public readonly OpCode Op => op;

    public readonly void Write(FrameBuffer b, ConnectionString chroot) => RequestWriter.WritePath(b, chroot, path);
}

/// <summary>A request with no body (whoAmI, closeSession).</summary>
internal struct EmptyRequest(OpCode op) : IRequestBody
{
    public readonly OpCode Op => op;

    public readonly void Write(FrameBuffer b, ConnectionString chroot)
    {
    }
}

internal struct SetDataRequest(string path, ReadOnlyMemory<byte> data, int version) : IRequestBody
{
    public readonly OpCode Op => OpCode.SetData;

    public readonly void Write(FrameBuffer b, ConnectionString chroot)
    {
        RequestWriter.WritePath(b, chroot, path);
        b.WriteBuffer(data.Span);
        b.WriteInt(version);
    }
}

internal struct SetAclRequest(string path, IReadOnlyList<Acl> acl, int version) : IRequestBody
{
    public readonly OpCode Op => OpCode.SetAcl;

    public readonly void Write(FrameBuffer b, ConnectionString chroot)
    {
        RequestWriter.WritePath(b, chroot, path);
        RequestWriter.WriteAcl(b, acl);
        b.WriteInt(version);
    }
}

/// <summary>multi (14) or multiRead (22): MultiHeader + record per op, then the terminator.</summary>
internal struct MultiRequest(OpCode op, IReadOnlyList<Op> ops) : IRequestBody
{
    public readonly OpCode Op => op;

    public readonly void Write(FrameBuffer b, ConnectionString chroot)
    {
        foreach (var o in ops)
        {
            b.WriteInt((int)o.WireOp);
            b.WriteBool(false);
            b.WriteInt(-1);
            o.WriteBody(b, chroot);
        }

        b.WriteInt(-1);
        b.WriteBool(true);
        b.WriteInt(-1);
    }
}
