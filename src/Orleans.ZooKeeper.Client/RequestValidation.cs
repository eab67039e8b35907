using Orleans.ZooKeeper.Client.Proto;

namespace Orleans.ZooKeeper.Client;

/// <summary>Argument checks made before anything is queued (each names the bad value).</summary>
internal static class RequestValidation
{
    private const long MaxTtlMilliseconds = (1L << 40) - 1;

    public static void ValidateCreate(IReadOnlyList<Acl> acl, CreateMode mode, TimeSpan? ttl)
    {
        ValidateAcl(acl);
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown create mode.");
        }

        if (mode.IsTtl())
        {
            if (ttl is null)
            {
                throw new ArgumentException($"Create mode {mode} needs a TTL.", nameof(ttl));
            }

            var ms = (long)ttl.Value.TotalMilliseconds;
            if (ms < 1 || ms > MaxTtlMilliseconds)
            {
                throw new ArgumentOutOfRangeException(nameof(ttl), ttl, $"A TTL must be between 1 ms and {MaxTtlMilliseconds} ms.");
            }
        }
        else if (ttl is not null)
        {
            throw new ArgumentException($"A TTL is only allowed with {CreateMode.PersistentWithTtl} or {CreateMode.PersistentSequentialWithTtl}, not {mode}.", nameof(ttl));
        }
    }

    public static void ValidateAcl(IReadOnlyList<Acl> acl)
    {
        ArgumentNullException.ThrowIfNull(acl);
        if (acl.Count == 0)
        {
            throw new ArgumentException("An ACL must have at least one entry (ZooKeeper rejects empty ACLs with InvalidACL).", nameof(acl));
        }

        for (var i = 0; i < acl.Count; i++)
        {
            var id = acl[i].Id;
            if (id.Scheme is null || id.Id is null || !Utf8Text.IsEncodable(id.Scheme) || !Utf8Text.IsEncodable(id.Id))
            {
                throw new ArgumentException($"ACL entry {i} has a null scheme or id, or one with an unpaired surrogate that cannot be sent as UTF-8.", nameof(acl));
            }
        }
    }

    /// <summary>Checks a multi's operations: all writes (multi) or all reads (multiRead), each valid.</summary>
    public static Op[] ValidateOps(IEnumerable<Op> operations, bool reads)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var ops = operations.ToArray();
        foreach (var op in ops)
        {
            ArgumentNullException.ThrowIfNull(op, nameof(operations));
            if (OpWire.IsRead(op) != reads)
            {
                throw new ArgumentException(reads
                    ? $"{op.GetType().Name} for {op.Path} is a write; use MultiAsync."
                    : $"{op.GetType().Name} for {op.Path} is a read; use MultiReadAsync.", nameof(operations));
            }

            if (op is CreateOp create)
            {
                ZooKeeperPath.Validate(create.Path, create.Mode.IsSequential());
                ValidateCreate(create.Acl, create.Mode, create.Ttl);
            }
            else
            {
                ZooKeeperPath.Validate(op.Path);
            }
        }

        return ops;
    }
}
