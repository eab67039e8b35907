namespace Orleans.ZooKeeper.Client.Tests;

[Collection(SharedServerCollection.Name)]
public sealed class SmokeTests(SharedServerFixture fixture)
{
    [Fact]
    public async Task Create_get_set_delete_round_trip()
    {
        await using var client = await Clients.ConnectAsync(fixture.Server.ConnectString);
        Assert.Equal(ConnectionState.Connected, client.State);
        Assert.NotEqual(0, client.SessionId);
        var path = Clients.UniquePath();
        var created = await client.CreateAsync(path, "hello"u8.ToArray());
        Assert.Equal(path, created.Path);
        Assert.Equal(0, created.Stat.Version);
        var data = await client.GetDataAsync(path);
        Assert.Equal("hello", Encoding.UTF8.GetString(data.Data));
        var stat = await client.SetDataAsync(path, "world"u8.ToArray(), 0);
        Assert.Equal(1, stat.Version);
        await Assert.ThrowsAsync<BadVersionException>(async () => await client.SetDataAsync(path, "x"u8.ToArray(), 0));
        await client.DeleteAsync(path, 1);
        Assert.Null(await client.ExistsAsync(path));
        var ex = await Assert.ThrowsAsync<NoNodeException>(async () => await client.GetDataAsync(path));
        Assert.Equal(path, ex.Path);
        Assert.Equal(ErrorCode.NoNode, ex.Code);
    }
}
