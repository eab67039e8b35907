using Orleans.ZooKeeper.Client.Proto;

namespace Orleans.ZooKeeper.Client.Session;

/// <summary>Reply decoders, one per reply shape. Each throws the typed exception for a non-zero result code.</summary>
internal static class Decode
{
    public static void ThrowIfError(PendingRequest request, ErrorCode error)
    {
        if (error != ErrorCode.Ok)
        {
            throw ZooKeeperExceptions.Create(error, request.Path);
        }
    }

    public static string StripChroot(ZooKeeperSession session, string serverPath)
        => session.ToClientPath(serverPath) ?? throw new ProtocolException($"the server returned path '{ZooKeeperPath.Printable(serverPath)}' outside the chroot");
}

internal readonly struct NoReply : IReplyDecoder<bool>
{
    public static bool Decode(ZooKeeperSession session, PendingRequest request, ErrorCode error, ref JuteReader body)
    {
        Session.Decode.ThrowIfError(request, error);
        return true;
    }
}

internal readonly struct CreateReply : IReplyDecoder<CreateResult>
{
    public static CreateResult Decode(ZooKeeperSession session, PendingRequest request, ErrorCode error, ref JuteReader body)
    {
        Session.Decode.ThrowIfError(request, error);
        var path = Session.Decode.StripChroot(session, body.ReadString());
        return new CreateResult(path, body.ReadStat());
    }
}

internal readonly struct ExistsReply : IReplyDecoder<Stat?>
{
    public static Stat? Decode(ZooKeeperSession session, PendingRequest request, ErrorCode error, ref JuteReader body)
    {
        if (error == ErrorCode.NoNode)
        {
            return null;
        }

        Session.Decode.ThrowIfError(request, error);
        return body.ReadStat();
    }
}

internal readonly struct StatReply : IReplyDecoder<Stat>
{
    public static Stat Decode(ZooKeeperSession session, PendingRequest request, ErrorCode error, ref JuteReader body)
    {
        Session.Decode.ThrowIfError(request, error);
        return body.ReadStat();
    }
}

internal readonly struct DataReply : IReplyDecoder<DataResult>
{
    public static DataResult Decode(ZooKeeperSession session, PendingRequest request, ErrorCode error, ref JuteReader body)
    {
        Session.Decode.ThrowIfError(request, error);
        var data = body.ReadBuffer();
        return new DataResult(data, body.ReadStat());
    }
}

internal readonly struct ChildrenReply : IReplyDecoder<IReadOnlyList<string>>
{
    public static IReadOnlyList<string> Decode(ZooKeeperSession session, PendingRequest request, ErrorCode error, ref JuteReader body)
    {
        Session.Decode.ThrowIfError(request, error);
        return body.ReadStringList();
    }
}

internal readonly struct Children2Reply : IReplyDecoder<ChildrenResult>
{
    public static ChildrenResult Decode(ZooKeeperSession session, PendingRequest request, ErrorCode error, ref JuteReader body)
    {
        Session.Decode.ThrowIfError(request, error);
        var children = body.ReadStringList();
        return new ChildrenResult(children, body.ReadStat());
    }
}

internal readonly struct AclReply : IReplyDecoder<AclResult>
{
    public static AclResult Decode(ZooKeeperSession session, PendingRequest request, ErrorCode error, ref JuteReader body)
    {
        Session.Decode.ThrowIfError(request, error);
        var acl = body.ReadAclList();
        return new AclResult(acl, body.ReadStat());
    }
}

internal readonly struct PathReply : IReplyDecoder<string>
{
    public static string Decode(ZooKeeperSession session, PendingRequest request, ErrorCode error, ref JuteReader body)
    {
        Session.Decode.ThrowIfError(request, error);
        return Session.Decode.StripChroot(session, body.ReadString());
    }
}

internal readonly struct PathListReply : IReplyDecoder<IReadOnlyList<string>>
{
    public static IReadOnlyList<string> Decode(ZooKeeperSession session, PendingRequest request, ErrorCode error, ref JuteReader body)
    {
        Session.Decode.ThrowIfError(request, error);
        var paths = body.ReadStringList();
        var result = new List<string>(paths.Count);
        foreach (var p in paths)
        {
            if (session.ToClientPath(p) is { } clientPath)
            {
                result.Add(clientPath);
            }
        }

        return result;
    }
}

internal readonly struct IntReply : IReplyDecoder<int>
{
    public static int Decode(ZooKeeperSession session, PendingRequest request, ErrorCode error, ref JuteReader body)
    {
        Session.Decode.ThrowIfError(request, error);
        return body.ReadInt();
    }
}

internal readonly struct WhoAmIReply : IReplyDecoder<IReadOnlyList<ClientInfo>>
{
    public static IReadOnlyList<ClientInfo> Decode(ZooKeeperSession session, PendingRequest request, ErrorCode error, ref JuteReader body)
    {
        Session.Decode.ThrowIfError(request, error);
        var count = body.ReadCount("vector<ClientInfo>", 8);
        var result = new List<ClientInfo>(Math.Max(0, count));
        for (var i = 0; i < count; i++)
        {
            result.Add(new ClientInfo(body.ReadString(), body.ReadString()));
        }

        return result;
    }
}

/// <summary>multi / multiRead reply: a MultiHeader and a record per op, then the terminator.</summary>
internal readonly struct MultiReply : IReplyDecoder<IReadOnlyList<OpResult>>
{
    public static IReadOnlyList<OpResult> Decode(ZooKeeperSession session, PendingRequest request, ErrorCode error, ref JuteReader body)
    {
        Session.Decode.ThrowIfError(request, error);
        var ops = (IReadOnlyList<Op>)request.State!;
        var results = new List<OpResult>(ops.Count);
        while (true)
        {
            var type = (OpCode)body.ReadInt();
            var done = body.ReadBool();
            var err = (ErrorCode)body.ReadInt();
            if (done)
            {
                break;
            }

            if (results.Count >= ops.Count)
            {
                throw new ProtocolException($"multi reply has more results than the {ops.Count} operations sent");
            }

            OpResult result = type switch
            {
                OpCode.Create => new CreateOpResult(Session.Decode.StripChroot(session, body.ReadString()), default),
                OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl => new CreateOpResult(Session.Decode.StripChroot(session, body.ReadString()), body.ReadStat()),
                OpCode.Delete => new DeleteOpResult(),
                OpCode.Check => new CheckOpResult(),
                OpCode.SetData => new SetDataOpResult(body.ReadStat()),
                OpCode.GetData => ReadData(ref body),
                OpCode.GetChildren => new GetChildrenOpResult(body.ReadStringList()),
                OpCode.Error => new ErrorOpResult((ErrorCode)body.ReadInt()),
                _ => throw new ProtocolException($"unexpected operation type {(int)type} in a multi reply"),
            };
            _ = err;
            results.Add(result);
        }

        if (results.Count != ops.Count)
        {
            throw new ProtocolException($"multi reply has {results.Count} results for {ops.Count} operations");
        }

        if (request.Op == OpCode.Multi)
        {
            // An aborted transaction reports every op as an error: those before the failure Ok, the failing one its
            // own code, those after it RuntimeInconsistency. The reply header says Ok, so scan.
            for (var i = 0; i < results.Count; i++)
            {
                if (results[i] is ErrorOpResult { Code: not ErrorCode.Ok } failed)
                {
                    var ex = ZooKeeperExceptions.Create(failed.Code, ops[i].Path, $"transaction aborted: operation {i} ({ops[i].GetType().Name}) failed with {failed.Code}; nothing was applied");
                    ex.Results = results;
                    ex.FailedOperationIndex = i;
                    throw ex;
                }
            }
        }

        return results;
    }

    private static GetDataOpResult ReadData(ref JuteReader body)
    {
        var data = body.ReadBuffer();
        return new GetDataOpResult(data, body.ReadStat());
    }
}
