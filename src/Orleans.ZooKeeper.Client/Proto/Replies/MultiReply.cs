namespace Orleans.ZooKeeper.Client.Proto;

/// <summary>multi / multiRead reply: a MultiHeader and a record per op, then the terminator. The context's state holds the operations sent.</summary>
internal readonly struct MultiReply : IReplyDecoder<IReadOnlyList<OpResult>>
{
    public static IReadOnlyList<OpResult> Decode(in ReplyContext context, ErrorCode error, ref JuteReader body)
    {
        context.ThrowIfError(error);
        var ops = (IReadOnlyList<Op>)context.State!;
        var results = new List<OpResult>(ops.Count);
        while (true)
        {
            var type = (OpCode)body.ReadInt();
            var done = body.ReadBool();
            body.ReadInt(); // the header's err; an error result carries its code in the body
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
                OpCode.Create => new CreateOpResult(context.Chroot.ToClientPathOrThrow(body.ReadString()), null),
                OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl => new CreateOpResult(context.Chroot.ToClientPathOrThrow(body.ReadString()), body.ReadStat()),
                OpCode.Delete => new DeleteOpResult(),
                OpCode.Check => new CheckOpResult(),
                OpCode.SetData => new SetDataOpResult(body.ReadStat()),
                OpCode.GetData => ReadData(ref body),
                OpCode.GetChildren => new GetChildrenOpResult(body.ReadStringList()),
                OpCode.Error => new ErrorOpResult((ErrorCode)body.ReadInt()),
                _ => throw new ProtocolException($"unexpected operation type {(int)type} in a multi reply"),
            };
            results.Add(result);
        }

        if (results.Count != ops.Count)
        {
            throw new ProtocolException($"multi reply has {results.Count} results for {ops.Count} operations");
        }

        if (context.Op == OpCode.Multi)
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
