using System.Globalization;
using System.Net;
using Orleans.GrainDirectory;
using Orleans.Runtime;
using Orleans.ZooKeeper.Client;

namespace Orleans.ZooKeeper.Benchmarks.GrainDirectories;

/// <summary>
/// The grain directory's znode work with our raw client and nothing else: the same paths (buckets by the hash's top 8
/// bits, a per-silo index), the same transactions (create entry + index; getData; delete entry at the version read +
/// index; index listing + multiRead + one delete transaction per batch), a fixed entry payload of the provider's size;
/// no JSON, no logging, no error mapping.
/// </summary>
internal sealed class RawDirectory(ZooKeeperClient client, string root) : IGrainDirectory
{
    private static readonly byte[] Payload = System.Text.Encoding.UTF8.GetBytes(
        """{"grainId":"bench/00000","activationId":"@0123456789abcdef0123456789abcdef","siloAddress":"127.0.0.1:11111@123456789","membershipVersion":51}""");

    public async Task StartAsync()
    {
        await client.DeleteRecursiveAsync(root);
        for (var b = 0; b < 256; b++)
        {
            await client.EnsurePathAsync($"{root}/grains/{b:X2}");
        }
    }

    /// <summary>Makes the silos' index nodes (the provider makes one when a create first finds it missing).</summary>
    public async Task PrepareSilosAsync(IEnumerable<SiloAddress> silos)
    {
        foreach (var silo in silos)
        {
            await client.EnsurePathAsync(Index(silo));
        }
    }

    public async Task<GrainAddress?> Register(GrainAddress address)
    {
        await client.MultiAsync([Op.Create(Entry(address.GrainId), Payload), Op.Create(Index(address.SiloAddress!) + "/" + Name(address.GrainId))]);
        return address;
    }

    public async Task<GrainAddress?> Lookup(GrainId grainId)
    {
        try
        {
            var data = await client.GetDataAsync(Entry(grainId));
            return data.Data.Length > 0 ? new GrainAddress { GrainId = grainId } : null;
        }
        catch (NoNodeException)
        {
            return null;
        }
    }

    public async Task Unregister(GrainAddress address)
    {
        var current = await client.GetDataAsync(Entry(address.GrainId));
        await client.MultiAsync([Op.Delete(Entry(address.GrainId), current.Stat.Version), Op.Delete(Index(address.SiloAddress!) + "/" + Name(address.GrainId))]);
    }

    public async Task UnregisterSilos(List<SiloAddress> siloAddresses)
    {
        foreach (var silo in siloAddresses)
        {
            var names = await client.GetChildrenAsync(Index(silo));
            foreach (var batch in names.Chunk(200))
            {
                var grains = batch.Select(n => GrainId.Parse(ZooKeeperNodeNames.Decode(n))).ToArray();
                var reads = await client.MultiReadAsync(grains.Select(g => Op.GetData(Entry(g))));
                var ops = new List<Op>();
                for (var i = 0; i < grains.Length; i++)
                {
                    ops.Add(Op.Delete(Entry(grains[i]), ((GetDataOpResult)reads[i]).Stat.Version));
                    ops.Add(Op.Delete(Index(silo) + "/" + batch[i]));
                }

                await client.MultiAsync(ops);
            }

            await client.DeleteAsync(Index(silo));
        }
    }

    private static string Name(GrainId grainId) => ZooKeeperNodeNames.Encode(grainId.ToString());

    private string Entry(GrainId grainId) => $"{root}/grains/{(grainId.GetUniformHashCode() >> 24).ToString("X2", CultureInfo.InvariantCulture)}/{Name(grainId)}";

    private string Index(SiloAddress silo) => $"{root}/silos/{ZooKeeperNodeNames.Encode(silo.ToParsableString())}";
}
