using Orleans.Runtime;
using Orleans.ZooKeeper;
using Orleans.ZooKeeper.Client;

namespace Orleans.GrainDirectory.ZooKeeper;

// The transactions behind each decision, and removing the entries of dead silos through their index.
internal sealed partial class ZooKeeperGrainDirectory
{
    /// <summary>
    /// Removes every entry of these silos: lists each silo's index (never the directory), reads the entries it names in
    /// multiRead batches, and deletes those still registered to that silo — entry and index node in one transaction per
    /// batch, each entry at the version read (an entry replaced meanwhile is left alone). Index nodes whose entry went
    /// elsewhere are deleted too. Every silo calls this when another dies: concurrent calls are harmless.
    /// </summary>
    public async Task UnregisterSilos(List<SiloAddress> siloAddresses)
    {
        ArgumentNullException.ThrowIfNull(siloAddresses);
        var layout = Layout;
        var client = Connection.Client;
        foreach (var silo in siloAddresses)
        {
            var index = layout.SiloIndex(silo);
            try
            {
                IReadOnlyList<string> names;
                try
                {
                    names = await client.GetChildrenAsync(index).ConfigureAwait(false);
                }
                catch (NoNodeException)
                {
                    continue;
                }

                var removed = 0;
                foreach (var batch in names.Chunk(_options.UnregisterBatchSize))
                {
                    removed += await RemoveBatchAsync(client, layout, silo, batch).ConfigureAwait(false);
                }

                try
                {
                    await client.DeleteAsync(index).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is NoNodeException or NotEmptyException)
                {
                    // Gone already, or the silo registered something meanwhile (a late call): its next removal takes it.
                }

                DirectoryLog.SiloRemoved(_logger, _name, silo.ToString(), removed, names.Count);
            }
            catch (Exception ex) when (ex is ZooKeeperException or FormatException)
            {
                throw Failure($"remove the entries of silo {silo}", null, index, ex);
            }
        }
    }

    private async Task<int> RemoveBatchAsync(ZooKeeperClient client, DirectoryLayout layout, SiloAddress silo, string[] names)
    {
        var grains = names.Select(n => GrainId.Parse(ZooKeeperNodeNames.Decode(n))).ToArray();
        var reads = await client.MultiReadAsync(grains.Select(g => Op.GetData(layout.EntryPath(g)))).ConfigureAwait(false);
        var ops = new List<Op>();
        var owned = new List<(GrainAddress Address, int Version)>();
        for (var i = 0; i < grains.Length; i++)
        {
            var indexNode = layout.IndexPath(silo, grains[i]);
            if (reads[i] is GetDataOpResult data && Decode(data.Data, layout.EntryPath(grains[i])) is { } registered && registered.SiloAddress == silo)
            {
                owned.Add((registered, data.Stat.Version));
                ops.Add(Op.Delete(layout.EntryPath(grains[i]), data.Stat.Version));
            }

            ops.Add(Op.Delete(indexNode)); // its entry is this silo's (removed with it), elsewhere, or gone
        }

        try
        {
            await client.MultiAsync(ops).ConfigureAwait(false);
            return owned.Count;
        }
        catch (ZooKeeperException ex) when (ex is BadVersionException or NoNodeException)
        {
            // Something changed meanwhile (a replacement, another silo removing the same entries): one at a time.
            var removed = 0;
            foreach (var (address, version) in owned)
            {
                removed += await TryRemoveAsync(client, layout, address, version).ConfigureAwait(false) ? 1 : 0;
            }

            foreach (var grain in grains)
            {
                await DeleteIfThereAsync(client, layout.IndexPath(silo, grain)).ConfigureAwait(false);
            }

            return removed;
        }
    }

    /// <summary>The entry and its index node in one transaction; false when the entry exists already.</summary>
    private async Task<bool> TryCreateAsync(ZooKeeperClient client, DirectoryLayout layout, GrainAddress address, SiloAddress silo, byte[] data)
    {
        var acl = Connection.NodeAcl;
        var entry = layout.EntryPath(address.GrainId);
        var index = layout.IndexPath(silo, address.GrainId);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await client.MultiAsync([Op.Create(entry, data, CreateMode.Persistent, acl), Op.Create(index, default, CreateMode.Persistent, acl)]).ConfigureAwait(false);
                return true;
            }
            catch (NodeExistsException ex) when (ex.FailedOperationIndex == 0)
            {
                return false;
            }
            catch (NodeExistsException)
            {
                await DeleteIfThereAsync(client, index).ConfigureAwait(false); // a stale index node of an earlier registration
            }
            catch (NoNodeException)
            {
                await client.EnsurePathAsync(layout.BucketOf(address.GrainId), acl).ConfigureAwait(false);
                await client.EnsurePathAsync(layout.SiloIndex(silo), acl).ConfigureAwait(false);
            }

            Raced("register", entry, attempt);
        }
    }

    /// <summary>Replaces the entry at the version checked (and indexes the new silo); false when it changed meanwhile.</summary>
    private async Task<bool> TryReplaceAsync(ZooKeeperClient client, DirectoryLayout layout, GrainAddress address, SiloAddress silo, GrainAddress registered, int version, byte[] data)
    {
        var acl = Connection.NodeAcl;
        var entry = layout.EntryPath(address.GrainId);
        var moves = registered.SiloAddress != silo;
        Op[] ops = moves
            ? [Op.SetData(entry, data, version), Op.Create(layout.IndexPath(silo, address.GrainId), default, CreateMode.Persistent, acl)]
            : [Op.SetData(entry, data, version)];
        try
        {
            await client.MultiAsync(ops).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.FailedOperationIndex == 0 && ex is BadVersionException or NoNodeException)
        {
            return false;
        }
        catch (NodeExistsException)
        {
            await DeleteIfThereAsync(client, layout.IndexPath(silo, address.GrainId)).ConfigureAwait(false);
            return false;
        }
        catch (NoNodeException)
        {
            await client.EnsurePathAsync(layout.SiloIndex(silo), acl).ConfigureAwait(false);
            return false;
        }

        if (moves && registered.SiloAddress is { } old)
        {
            await DeleteIfThereAsync(client, layout.IndexPath(old, address.GrainId)).ConfigureAwait(false); // the old silo's index node: a hint only
        }

        return true;
    }

    /// <summary>Deletes the entry at the version checked, with its index node; false when the entry changed meanwhile.</summary>
    private async Task<bool> TryRemoveAsync(ZooKeeperClient client, DirectoryLayout layout, GrainAddress registered, int version)
    {
        var entry = layout.EntryPath(registered.GrainId);
        Op[] withIndex = registered.SiloAddress is { } silo ? [Op.Delete(entry, version), Op.Delete(layout.IndexPath(silo, registered.GrainId))] : [Op.Delete(entry, version)];
        try
        {
            await client.MultiAsync(withIndex).ConfigureAwait(false);
            return true;
        }
        catch (ZooKeeperException ex) when (ex.FailedOperationIndex == 0)
        {
            return ex is NoNodeException; // gone: nothing left to remove; another version: look again
        }
        catch (NoNodeException)
        {
            // The index node went first (a dead silo's clean-up): the entry alone.
            try
            {
                await client.DeleteAsync(entry, version).ConfigureAwait(false);
                return true;
            }
            catch (NoNodeException)
            {
                return true;
            }
            catch (BadVersionException)
            {
                return false;
            }
        }
    }

    private static async Task DeleteIfThereAsync(ZooKeeperClient client, string path)
    {
        try
        {
            await client.DeleteAsync(path).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
        }
    }

    private static GrainAddress Decode(byte[] data, string path)
    {
        try
        {
            return DirectoryLayout.Decode(data);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"the entry {path} is not one this directory wrote: {ex.Message}", ex);
        }
    }

    private void Raced(string operation, string path, int attempt)
    {
        if (attempt >= MaxAttempts)
        {
            throw new ZooKeeperGrainDirectoryException($"ZooKeeper grain directory '{_name}': {operation} of {path} lost the race to other writers {attempt} times in a row; giving up.");
        }

        DirectoryLog.Raced(_logger, _name, operation, path, attempt);
    }

    private ZooKeeperGrainDirectoryException Failure(string operation, GrainId? grainId, string? path, Exception ex)
    {
        DirectoryLog.Failed(_logger, ex, _name, operation, grainId?.ToString(), path);
        var about = grainId is { } g ? $" grain {g}" : string.Empty;
        return new ZooKeeperGrainDirectoryException($"ZooKeeper grain directory '{_name}' (cluster '{_clusterId}') could not {operation}{about}{(path is null ? string.Empty : " at " + path)}: {ex.Message}", ex);
    }
}
