using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Orleans.Runtime;
using Orleans.ZooKeeper;
using Orleans.ZooKeeper.Client;
using static Orleans.GrainDirectory.ZooKeeper.Tests.Addresses;

namespace Orleans.GrainDirectory.ZooKeeper.Tests;

/// <summary>
/// What Orleans' <see cref="IGrainDirectory"/> promises, against a real server (the cases of Orleans' own directory
/// test base, and more): first registration wins, replacement only by the registered activation, removal only of that
/// activation, UnregisterSilos through the per-silo index, races with one winner.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class DirectoryTests(ServerFixture fixture)
{
    private string Servers => fixture.Server.ConnectString;

    [Fact]
    public async Task Register_lookup_unregister_lookup()
    {
        await using var d = await DirectoryHandle.StartAsync(Servers);
        var expected = Address(NewGrain(), SiloA);
        Assert.Equal(expected, await d.Contract.Register(expected, null));
        var found = await d.Contract.Lookup(expected.GrainId);
        Assert.Equal(expected, found);
        Assert.Equal(expected.MembershipVersion, found!.MembershipVersion);
        await d.Contract.Unregister(expected);
        Assert.Null(await d.Contract.Lookup(expected.GrainId));
        Assert.Null(await d.Contract.Lookup(NewGrain()));
    }

    [Fact]
    public async Task A_registered_entry_is_not_overwritten_by_another_activation_or_silo()
    {
        await using var d = await DirectoryHandle.StartAsync(Servers);
        var initial = Address(NewGrain(), SiloA);
        await d.Contract.Register(initial, null);
        Assert.Equal(initial, await d.Contract.Register(Address(initial.GrainId, SiloA), null)); // another activation
        Assert.Equal(initial, await d.Contract.Register(Address(initial.GrainId, SiloB, initial.ActivationId), null)); // same activation id, other silo
        Assert.Equal(initial, await d.Contract.Register(initial, null)); // itself again
        Assert.Equal(initial, await d.Contract.Lookup(initial.GrainId));
    }

    [Fact]
    public async Task An_entry_is_replaced_only_while_it_is_the_previous_activation()
    {
        await using var d = await DirectoryHandle.StartAsync(Servers);
        var grain = NewGrain();
        var initial = Address(grain, SiloA);
        var differentActivation = Address(grain, SiloA);
        var differentSilo = Address(grain, SiloB);

        Assert.Equal(initial, await d.Contract.Register(initial, differentSilo)); // nothing registered: previous does not matter
        Assert.Equal(differentActivation, await d.Contract.Register(differentActivation, initial));
        Assert.Equal(differentActivation, await d.Contract.Register(differentSilo, initial)); // initial is no longer registered
        Assert.Equal(differentActivation, await d.Contract.Lookup(grain));

        var moved = Address(grain, SiloB);
        Assert.Equal(moved, await d.Contract.Register(moved, differentActivation)); // to another silo: the index follows
        Assert.Equal([ZooKeeperNodeNames.Encode(grain.ToString())], await IndexOfAsync(d, SiloB));
        Assert.DoesNotContain(ZooKeeperNodeNames.Encode(grain.ToString()), await IndexOfAsync(d, SiloA));
    }

    [Fact]
    public async Task Unregister_removes_only_the_registered_activation()
    {
        await using var d = await DirectoryHandle.StartAsync(Servers);
        var registered = Address(NewGrain(), SiloA);
        await d.Contract.Register(registered, null);
        await d.Contract.Unregister(Address(registered.GrainId, SiloA)); // another activation id
        Assert.Equal(registered, await d.Contract.Lookup(registered.GrainId));
        await d.Contract.Unregister(registered);
        Assert.Null(await d.Contract.Lookup(registered.GrainId));
        Assert.Empty(await IndexOfAsync(d, SiloA)); // its index node went with it
        await d.Contract.Unregister(registered); // nothing there: nothing happens
    }

    [Fact]
    public async Task Many_silos_registering_one_grain_at_once_get_exactly_one_winner_and_all_return_it()
    {
        await using var d1 = await DirectoryHandle.StartAsync(Servers, "race-" + Guid.NewGuid().ToString("N")[..8]);
        for (var round = 0; round < 20; round++)
        {
            var grain = NewGrain();
            var silos = Enumerable.Range(0, 12).Select(i => SiloAddress.New(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 2000 + i), 1)).ToList();
            var attempts = silos.Select(s => Address(grain, s)).ToList();
            var results = await Task.WhenAll(attempts.Select(a => Task.Run(() => d1.Contract.Register(a, null))));
            var winner = Assert.Single(results.Distinct());
            Assert.Contains(winner, attempts);
            Assert.Equal(winner, await d1.Contract.Lookup(grain));
        }
    }

    [Fact]
    public async Task Unregister_silos_removes_every_entry_of_those_silos_through_their_index_and_nothing_else()
    {
        await using var d = await DirectoryHandle.StartAsync(Servers);
        var ofA = Enumerable.Range(0, 450).Select(_ => Address(NewGrain(), SiloA)).ToList(); // more than one batch
        var ofB = Enumerable.Range(0, 50).Select(_ => Address(NewGrain(), SiloB)).ToList();
        await Task.WhenAll(ofA.Concat(ofB).Select(a => d.Contract.Register(a, null)));

        // One of A's grains moved to B meanwhile: A's index still names it, but it is B's now.
        var moved = Address(ofA[0].GrainId, SiloB);
        Assert.Equal(moved, await d.Contract.Register(moved, ofA[0]));

        using var requests = new ClientRequests(d.Directory.Connection.Client.SessionId);
        await Task.WhenAll(d.Contract.UnregisterSilos([SiloA]), d.Contract.UnregisterSilos([SiloA])); // every silo calls it
        var listings = requests.Take().Where(r => r.StartsWith("getChildren", StringComparison.Ordinal)).Distinct().ToList();
        Assert.Equal(["getChildren " + d.Directory.Root + "/silos/" + ZooKeeperNodeNames.Encode(SiloA.ToParsableString())], listings);

        foreach (var a in ofA.Skip(1))
        {
            Assert.Null(await d.Contract.Lookup(a.GrainId));
        }

        Assert.Equal(moved, await d.Contract.Lookup(moved.GrainId));
        foreach (var b in ofB)
        {
            Assert.Equal(b, await d.Contract.Lookup(b.GrainId));
        }

        Assert.Empty(await IndexOfAsync(d, SiloA));
        await d.Contract.UnregisterSilos([SiloA]); // again: nothing left, no error
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("with/slash and space")]
    [InlineData("..")]
    [InlineData("%2F")]
    [InlineData("ünïcødé ✓ 🦀")]
    [InlineData("tab\tnew\nline")]
    public async Task Hostile_grain_ids_round_trip(string key)
    {
        await using var d = await DirectoryHandle.StartAsync(Servers);
        foreach (var grain in new[] { GrainId.Create("hostile", key), GrainId.Create(GrainType.Create("x"), GrainIdKeyExtensions.CreateGuidKey(Guid.NewGuid(), key)) })
        {
            var address = Address(grain, SiloA);
            Assert.Equal(address, await d.Contract.Register(address, null));
            Assert.Equal(address, await d.Contract.Lookup(grain));
            await d.Contract.UnregisterSilos([SiloA]);
            Assert.Null(await d.Contract.Lookup(grain));
        }
    }

    [Fact]
    public async Task Entries_are_readable_json_two_znodes_each_and_a_corrupt_one_fails_clearly()
    {
        await using var d = await DirectoryHandle.StartAsync(Servers);
        var address = Address(NewGrain(), SiloA);
        await d.Contract.Register(address, null);
        var client = d.Directory.Connection.Client;
        var bucket = d.Directory.Root + "/grains/" + (address.GrainId.GetUniformHashCode() >> 24).ToString("X2", System.Globalization.CultureInfo.InvariantCulture);
        var entry = bucket + "/" + ZooKeeperNodeNames.Encode(address.GrainId.ToString());
        using (var json = JsonDocument.Parse((await client.GetDataAsync(entry)).Data))
        {
            Assert.Equal(address.GrainId.ToString(), json.RootElement.GetProperty("grainId").GetString());
            Assert.Equal(SiloA.ToParsableString(), json.RootElement.GetProperty("siloAddress").GetString());
            Assert.Equal(51, json.RootElement.GetProperty("membershipVersion").GetInt64());
        }

        Assert.Single(await IndexOfAsync(d, SiloA));
        await client.SetDataAsync(entry, "{oops"u8.ToArray());
        var error = await Assert.ThrowsAsync<ZooKeeperGrainDirectoryException>(() => d.Contract.Lookup(address.GrainId));
        Assert.Contains(entry, error.Message, StringComparison.Ordinal);
    }

    private static async Task<IReadOnlyList<string>> IndexOfAsync(DirectoryHandle d, SiloAddress silo)
    {
        try
        {
            return await d.Directory.Connection.Client.GetChildrenAsync(d.Directory.Root + "/silos/" + ZooKeeperNodeNames.Encode(silo.ToParsableString()));
        }
        catch (NoNodeException)
        {
            return [];
        }
    }
}
