using Orleans.Placement;
using Orleans.Runtime;

namespace Orleans.Clustering.ZooKeeper.TestSilo;

/// <summary>A grain that tells which silo it is active on.</summary>
public interface IWhereGrain : IGrainWithIntegerKey
{
    /// <summary>The hosting silo's address (<c>ip:port@generation</c>).</summary>
    Task<string> Where();
}

/// <summary>Placed at random, so that every silo hosts some.</summary>
[RandomPlacement]
public sealed class WhereGrain(ILocalSiloDetails silo) : Grain, IWhereGrain
{
    public Task<string> Where() => Task.FromResult(silo.SiloAddress.ToParsableString());
}
