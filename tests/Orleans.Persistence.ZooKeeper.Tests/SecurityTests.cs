using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.ZooKeeper.Client;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>Digest credentials: ACLs on every node the provider creates, and the password kept out of logs and errors.</summary>
[Collection(ServerCollection.Name)]
public sealed class SecurityTests(ServerFixture fixture)
{
    [Fact]
    public async Task With_credentials_state_nodes_admit_only_that_digest_identity_and_the_password_is_never_shown()
    {
        const string user = "storage-user";
        var password = "pw-" + Guid.NewGuid().ToString("N");
        var url = fixture.NewUrl("secure");
        var serviceId = "svc-" + Guid.NewGuid().ToString("N")[..8];
        await using var zk = await fixture.StartStorageAsync(o => { o.Username = user; o.Password = password; }, url: url, serviceId: serviceId);
        var id = Ids.String("secure-grain", "alice");
        var path = zk.PathFor(id, "state");
        var etag = await zk.WriteAsync(id, new TestState { Value = 1, Text = "secret data" }, null);
        Assert.Equal(1, (await zk.ReadAsync<TestState>(id)).State.Value);

        // Every node from the ServiceId node down, guard included, carries exactly the digest ACL.
        var only = new[] { new Acl(Permissions.All, ZooKeeperId.Digest(user, password)) };
        var czxid = (await zk.Client.ExistsAsync(path))!.Value.Czxid;
        var typeNode = path[..path.LastIndexOf('/')];
        foreach (var node in new[] { zk.Root, zk.Root + "/layout.v2", typeNode, path, $"{path}/{czxid:x}" })
        {
            Assert.Equal(only, (await zk.Client.GetAclAsync(node)).Acl);
        }

        // A session without credentials, and one with other credentials, can neither read, write, list nor delete.
        await using var other = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = fixture.Server.ConnectString }.AddDigest(user, "wrong-password"));
        foreach (var client in new[] { fixture.Raw, other })
        {
            await Assert.ThrowsAsync<NoAuthException>(async () => await client.GetDataAsync(path));
            await Assert.ThrowsAsync<NoAuthException>(async () => await client.SetDataAsync(path, "x"u8.ToArray()));
            await Assert.ThrowsAsync<NoAuthException>(async () => await client.GetChildrenAsync(typeNode));
            await Assert.ThrowsAsync<NoAuthException>(async () => await client.CreateAsync(typeNode + "/intruder"));
            await Assert.ThrowsAsync<NoAuthException>(async () => await client.DeleteAsync($"{path}/{czxid:x}"));
        }

        // Errors of every kind stay free of the password: a conflict, undeserializable data, a provider with the
        // wrong password (NoAuth from the server).
        var errors = new List<Exception>
        {
            await Assert.ThrowsAsync<InconsistentStateException>(() => zk.WriteAsync(id, new TestState(), null)),
        };
        await zk.Client.SetDataAsync(path, "{broken"u8.ToArray());
        errors.Add(await Assert.ThrowsAsync<ZooKeeperStorageException>(() => zk.ReadAsync<TestState>(id)));

        var wrongPassword = "wrong-" + Guid.NewGuid().ToString("N");
        await using var intruder = await fixture.StartStorageAsync(o => { o.Username = user; o.Password = wrongPassword; }, url: url, serviceId: serviceId);
        var denied = await Assert.ThrowsAsync<ZooKeeperStorageException>(() => intruder.ReadAsync<TestState>(id));
        Assert.IsType<NoAuthException>(denied.InnerException);
        Assert.Contains(path, denied.Message);
        errors.Add(denied);
        errors.Add(await Assert.ThrowsAsync<ZooKeeperStorageException>(() => intruder.WriteAsync(Ids.String("secure-grain", "mallory"), new TestState(), null)));
        errors.Add(await Assert.ThrowsAsync<ZooKeeperStorageException>(() => intruder.WriteAsync(id, new TestState(), etag)));

        foreach (var error in errors)
        {
            Assert.DoesNotContain(password, error.ToString());
            Assert.DoesNotContain(wrongPassword, error.ToString());
        }

        // Logs, everything at Trace. (The options as a silo logs them at startup: HostingTests.)
        Assert.NotEmpty(zk.Logs.Entries);
        Assert.Contains(intruder.Logs.Entries, e => e.Contains("NoAuth", StringComparison.Ordinal));
        Assert.All(zk.Logs.Entries.Concat(intruder.Logs.Entries), e =>
        {
            Assert.DoesNotContain(password, e);
            Assert.DoesNotContain(wrongPassword, e);
        });
    }
}
