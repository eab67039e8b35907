namespace Orleans.ZooKeeper.Client.Proto;

/// <summary>What a decoder knows about the request a reply answers: the chroot to strip, its path and op, and op-specific state.</summary>
internal readonly record struct ReplyContext(Chroot Chroot, string? Path, OpCode Op, object? State)
{
    public void ThrowIfError(ErrorCode error)
    {
        if (error != ErrorCode.Ok)
        {
            throw ZooKeeperExceptions.Create(error, Path);
        }
    }
}

/// <summary>Decodes one kind of reply body.</summary>
internal interface IReplyDecoder<T>
{
    /// <summary>
    /// Decodes the reply or throws the exception the caller should see (a <see cref="ZooKeeperException"/>), or
    /// <see cref="ProtocolException"/> for a malformed body.
    /// </summary>
    static abstract T Decode(in ReplyContext context, ErrorCode error, ref JuteReader body);
}

internal readonly struct NoReply : IReplyDecoder<bool>
{
    public static bool Decode(in ReplyContext context, ErrorCode error, ref JuteReader body)
    {
        context.ThrowIfError(error);
        return true;
    }
}

internal readonly struct CreateReply : IReplyDecoder<CreateResult>
{
    public static CreateResult Decode(in ReplyContext context, ErrorCode error, ref JuteReader body)
    {
        context.ThrowIfError(error);
        var path = context.Chroot.ToClientPathOrThrow(body.ReadString());
        return new CreateResult(path, body.ReadStat());
    }
}

internal readonly struct ExistsReply : IReplyDecoder<Stat?>
{
    public static Stat? Decode(in ReplyContext context, ErrorCode error, ref JuteReader body)
    {
        if (error == ErrorCode.NoNode)
        {
            return null;
        }

        context.ThrowIfError(error);
        return body.ReadStat();
    }
}

internal readonly struct StatReply : IReplyDecoder<Stat>
{
    public static Stat Decode(in ReplyContext context, ErrorCode error, ref JuteReader body)
    {
        context.ThrowIfError(error);
        return body.ReadStat();
    }
}

internal readonly struct DataReply : IReplyDecoder<DataResult>
{
    public static DataResult Decode(in ReplyContext context, ErrorCode error, ref JuteReader body)
    {
        context.ThrowIfError(error);
        var data = body.ReadBuffer();
        return new DataResult(data, body.ReadStat());
    }
}

internal readonly struct ChildrenReply : IReplyDecoder<IReadOnlyList<string>>
{
    public static IReadOnlyList<string> Decode(in ReplyContext context, ErrorCode error, ref JuteReader body)
    {
        context.ThrowIfError(error);
        return body.ReadStringList();
    }
}

internal readonly struct Children2Reply : IReplyDecoder<ChildrenResult>
{
    public static ChildrenResult Decode(in ReplyContext context, ErrorCode error, ref JuteReader body)
    {
        context.ThrowIfError(error);
        var children = body.ReadStringList();
        return new ChildrenResult(children, body.ReadStat());
    }
}

internal readonly struct AclReply : IReplyDecoder<AclResult>
{
    public static AclResult Decode(in ReplyContext context, ErrorCode error, ref JuteReader body)
    {
        context.ThrowIfError(error);
        var acl = body.ReadAclList();
        return new AclResult(acl, body.ReadStat());
    }
}

internal readonly struct PathReply : IReplyDecoder<string>
{
    public static string Decode(in ReplyContext context, ErrorCode error, ref JuteReader body)
    {
        context.ThrowIfError(error);
        return context.Chroot.ToClientPathOrThrow(body.ReadString());
    }
}

/// <summary>getEphemerals: server paths, those outside the chroot dropped.</summary>
internal readonly struct PathListReply : IReplyDecoder<IReadOnlyList<string>>
{
    public static IReadOnlyList<string> Decode(in ReplyContext context, ErrorCode error, ref JuteReader body)
    {
        context.ThrowIfError(error);
        var paths = body.ReadStringList();
        var result = new List<string>(paths.Count);
        foreach (var p in paths)
        {
            if (context.Chroot.ToClientPath(p) is { } clientPath)
            {
                result.Add(clientPath);
            }
        }

        return result;
    }
}

internal readonly struct IntReply : IReplyDecoder<int>
{
    public static int Decode(in ReplyContext context, ErrorCode error, ref JuteReader body)
    {
        context.ThrowIfError(error);
        return body.ReadInt();
    }
}

internal readonly struct WhoAmIReply : IReplyDecoder<IReadOnlyList<ClientInfo>>
{
    public static IReadOnlyList<ClientInfo> Decode(in ReplyContext context, ErrorCode error, ref JuteReader body)
    {
        context.ThrowIfError(error);
        var count = body.ReadCount("vector<ClientInfo>", 8);
        var result = new List<ClientInfo>(Math.Max(0, count));
        for (var i = 0; i < count; i++)
        {
            result.Add(new ClientInfo(body.ReadString(), body.ReadString()));
        }

        return result;
    }
}
