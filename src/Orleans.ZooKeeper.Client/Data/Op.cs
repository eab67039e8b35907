namespace Orleans.ZooKeeper.Client;

/// <summary>One operation of a transaction (<see cref="ZooKeeperClient.MultiAsync"/>) or a batched read (<see cref="ZooKeeperClient.MultiReadAsync"/>).</summary>
public abstract record Op
{
    private protected Op(string path)
    {
        Path = path;
    }

    /// <summary>The node the operation is about.</summary>
    public string Path { get; }

    /// <summary>Creates a node (persistent, ephemeral, sequential, container or TTL).</summary>
    public static CreateOp Create(string path, ReadOnlyMemory<byte> data = default, CreateMode mode = CreateMode.Persistent, IReadOnlyList<Acl>? acl = null, TimeSpan? ttl = null)
        => new(path, data, mode, acl ?? Acls.OpenUnsafe, ttl);

    /// <summary>Deletes a node, if its version matches (-1: any).</summary>
    public static DeleteOp Delete(string path, int version = -1) => new(path, version);

    /// <summary>Sets a node's data, if its version matches (-1: any).</summary>
    public static SetDataOp SetData(string path, ReadOnlyMemory<byte> data, int version = -1) => new(path, data, version);

    /// <summary>Checks that a node exists with this version (-1: any).</summary>
    public static CheckOp Check(string path, int version) => new(path, version);

    /// <summary>Reads a node's data (multiRead only).</summary>
    public static GetDataOp GetData(string path) => new(path);

    /// <summary>Lists a node's children (multiRead only).</summary>
    public static GetChildrenOp GetChildren(string path) => new(path);
}

/// <summary>Creates a node.</summary>
public sealed record CreateOp : Op
{
    internal CreateOp(string path, ReadOnlyMemory<byte> data, CreateMode mode, IReadOnlyList<Acl> acl, TimeSpan? ttl)
        : base(path)
    {
        Data = data;
        Mode = mode;
        Acl = acl;
        Ttl = ttl;
    }

    /// <summary>The data.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The mode.</summary>
    public CreateMode Mode { get; }

    /// <summary>The ACL.</summary>
    public IReadOnlyList<Acl> Acl { get; }

    /// <summary>The TTL, for TTL modes.</summary>
    public TimeSpan? Ttl { get; }
}

/// <summary>Deletes a node.</summary>
public sealed record DeleteOp : Op
{
    internal DeleteOp(string path, int version)
        : base(path) => Version = version;

    /// <summary>The expected version (-1: any).</summary>
    public int Version { get; }
}

/// <summary>Sets a node's data.</summary>
public sealed record SetDataOp : Op
{
    internal SetDataOp(string path, ReadOnlyMemory<byte> data, int version)
        : base(path)
    {
        Data = data;
        Version = version;
    }

    /// <summary>The data.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The expected version (-1: any).</summary>
    public int Version { get; }
}

/// <summary>Checks a node's version.</summary>
public sealed record CheckOp : Op
{
    internal CheckOp(string path, int version)
        : base(path) => Version = version;

    /// <summary>The expected version (-1: any, i.e. just existence).</summary>
    public int Version { get; }
}

/// <summary>Reads data inside a multiRead.</summary>
public sealed record GetDataOp : Op
{
    internal GetDataOp(string path)
        : base(path)
    {
    }
}

/// <summary>Lists children inside a multiRead.</summary>
public sealed record GetChildrenOp : Op
{
    internal GetChildrenOp(string path)
        : base(path)
    {
    }
}

/// <summary>The result of one operation of a multi or multiRead.</summary>
public abstract record OpResult
{
    private protected OpResult(ErrorCode error) => Error = error;

    /// <summary><see cref="ErrorCode.Ok"/>, or why this operation failed (or was rolled back).</summary>
    public ErrorCode Error { get; }
}

/// <summary>A node was created.</summary>
/// <param name="Path">The created path (with sequence suffix), relative to the chroot.</param>
/// <param name="Stat">
/// The new node's metadata, or null when the server did not send it: the client always asks for it (create2,
/// createContainer, createTTL), but ZooKeeper 3.8.0 answers a create2 inside a transaction like a plain create, with
/// the path only; container and TTL creates do carry it. Use <see cref="ZooKeeperClient.ExistsAsync"/> when it matters.
/// </param>
public sealed record CreateOpResult(string Path, Stat? Stat) : OpResult(ErrorCode.Ok);

/// <summary>A node was deleted.</summary>
public sealed record DeleteOpResult() : OpResult(ErrorCode.Ok);

/// <summary>Data was set.</summary>
/// <param name="Stat">The node's new metadata.</param>
public sealed record SetDataOpResult(Stat Stat) : OpResult(ErrorCode.Ok);

/// <summary>A version check passed.</summary>
public sealed record CheckOpResult() : OpResult(ErrorCode.Ok);

/// <summary>Data read by a multiRead.</summary>
/// <param name="Data">The data.</param>
/// <param name="Stat">The metadata.</param>
public sealed record GetDataOpResult(byte[] Data, Stat Stat) : OpResult(ErrorCode.Ok);

/// <summary>Children listed by a multiRead.</summary>
/// <param name="Children">The child names.</param>
public sealed record GetChildrenOpResult(IReadOnlyList<string> Children) : OpResult(ErrorCode.Ok);

/// <summary>An operation that failed, or one of an aborted transaction.</summary>
/// <param name="Code">The code: the failing operation's own, <see cref="ErrorCode.Ok"/> for operations before it that were rolled back, <see cref="ErrorCode.RuntimeInconsistency"/> for those after it.</param>
public sealed record ErrorOpResult(ErrorCode Code) : OpResult(Code);
