using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Xml.Linq;
using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Packaging.Tests;

/// <summary>The packages a user gets: what is in them, that they are reproducible, and that they work from a plain folder.</summary>
[Collection(DotnetBuilds.Name)]
public sealed class PackageTests
{
    private static readonly string[] Projects = ["Orleans.ZooKeeper.Client", "Orleans.ZooKeeper", "Orleans.Persistence.ZooKeeper", "Orleans.Clustering.ZooKeeper", "Orleans.Reminders.ZooKeeper", "Orleans.GrainDirectory.ZooKeeper"];

    /// <summary>The .NET tool package (tools/, not lib/).</summary>
    private const string ToolPackage = "Orleans.ZooKeeper.Tool";

    [Fact]
    public async Task Every_src_project_packs_with_readme_licence_repository_docs_and_symbols_and_the_same_commit_packs_to_the_same_bytes()
    {
        using var first = new TempDir("pack-a");
        using var second = new TempDir("pack-b");
        await Dotnet.PackAsync(first.Path);
        await Dotnet.PackAsync(second.Path);

        var packages = Directory.GetFiles(first.Path, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Projects.Append(ToolPackage).Select(p => $"{p}.{Dotnet.Version}.nupkg").Order(StringComparer.Ordinal), packages);
        var tool = Path.Combine(first.Path, $"{ToolPackage}.{Dotnet.Version}.nupkg");
        using (var toolZip = ZipFile.OpenRead(tool))
        {
            var names = toolZip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("README.md", names);
            Assert.Contains("tools/net10.0/any/orleans-zk.dll", names);
            Assert.Contains("tools/net10.0/any/DotnetToolSettings.xml", names);
        }

        Assert.Equal(Hash(tool), Hash(Path.Combine(second.Path, Path.GetFileName(tool))));
        var commit = (await Dotnet.RunAsync("git", ["rev-parse", "HEAD"], Repository.Root)).Trim();
        foreach (var project in Projects)
        {
            var nupkg = Path.Combine(first.Path, $"{project}.{Dotnet.Version}.nupkg");
            var snupkg = Path.Combine(first.Path, $"{project}.{Dotnet.Version}.snupkg");
            Assert.True(File.Exists(snupkg), $"no symbols package for {project}");
            using (var symbols = ZipFile.OpenRead(snupkg))
            {
                Assert.Contains(symbols.Entries, e => e.FullName == $"lib/net10.0/{project}.pdb");
            }

            using var zip = ZipFile.OpenRead(nupkg);
            var names = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("README.md", names);
            Assert.Contains($"lib/net10.0/{project}.dll", names);
            Assert.Contains($"lib/net10.0/{project}.xml", names);
            using var nuspecStream = zip.GetEntry($"{project}.nuspec")!.Open();
            var metadata = XDocument.Load(nuspecStream).Root!.Elements().First(e => e.Name.LocalName == "metadata");
            string? Value(string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
            Assert.Equal("MIT", Value("license"));
            Assert.Equal("README.md", Value("readme"));
            Assert.False(string.IsNullOrWhiteSpace(Value("description")));
            var repository = metadata.Elements().First(e => e.Name.LocalName == "repository");
            Assert.Equal("git", repository.Attribute("type")?.Value);
            Assert.Equal(commit, repository.Attribute("commit")?.Value);

            // Reproducible: packing the same commit again gives the same bytes.
            Assert.Equal(Hash(nupkg), Hash(Path.Combine(second.Path, Path.GetFileName(nupkg))));
            Assert.Equal(Hash(snupkg), Hash(Path.Combine(second.Path, Path.GetFileName(snupkg))));
        }
    }

    [Fact]
    public async Task A_fresh_project_restores_the_packages_from_a_local_folder_and_runs_a_silo_with_grain_storage()
    {
        // A version of its own, so the user-wide package cache can never hand back an older build of ours.
        var version = "1.0.0-consumer." + Guid.NewGuid().ToString("N")[..12];
        using var feed = new TempDir("feed");
        using var consumer = new TempDir("consumer");
        await using var server = await ZooKeeperServer.StartNewAsync();
        try
        {
            await Dotnet.PackAsync(feed.Path, version);
            var templates = Path.Combine(AppContext.BaseDirectory, "Consumer");
            File.WriteAllText(Path.Combine(consumer.Path, "Consumer.csproj"), File.ReadAllText(Path.Combine(templates, "Consumer.csproj.template")).Replace("@VERSION@", version, StringComparison.Ordinal));
            File.Copy(Path.Combine(templates, "Program.cs.template"), Path.Combine(consumer.Path, "Program.cs"));
            Dotnet.WriteNuGetConfig(consumer.Path, feed.Path);

            await Dotnet.RunAsync("dotnet", ["build", "-c", "Release", "--nologo"], consumer.Path);
            var output = await Dotnet.RunAsync(
                "dotnet",
                [Path.Combine(consumer.Path, "bin", "Release", "net10.0", "Consumer.dll")],
                consumer.Path,
                new Dictionary<string, string>
                {
                    ["CONSUMER_ZOOKEEPER"] = server.ConnectString,
                    ["CONSUMER_SILO_PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["CONSUMER_GATEWAY_PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
                });

            // The second silo lifetime read the count the first one stored in ZooKeeper.
            Assert.Contains("CONSUMER run 1: 1", output);
            Assert.Contains("CONSUMER run 2: 2", output);
            Assert.Contains(Path.Combine(feed.Path, $"Orleans.Persistence.ZooKeeper.{version}.nupkg"), Directory.GetFiles(feed.Path));
        }
        finally
        {
            Dotnet.ForgetCachedPackages(version);
        }
    }

    [Fact]
    public async Task The_tool_installs_from_the_packed_package_into_a_fresh_folder_and_reads_an_ensemble()
    {
        var version = "1.0.0-tool." + Guid.NewGuid().ToString("N")[..12];
        using var feed = new TempDir("tool-feed");
        using var tools = new TempDir("tool-path");
        await using var server = await ZooKeeperServer.StartNewAsync();
        try
        {
            await Dotnet.PackAsync(feed.Path, version);
            await Dotnet.RunAsync("dotnet", ["tool", "install", ToolPackage, "--tool-path", tools.Path, "--add-source", feed.Path, "--version", version], tools.Path);
            var orleansZk = Path.Combine(tools.Path, "orleans-zk");
            Assert.True(File.Exists(orleansZk), "the tool's command was not installed");

            var help = await Dotnet.RunAsync(orleansZk, ["--help"], tools.Path);
            Assert.Contains("states", help, StringComparison.Ordinal);
            Assert.Contains("doctor", help, StringComparison.Ordinal);

            // The servers from the environment variable, as a container finds them; a state written and read back.
            var environment = new Dictionary<string, string> { ["ASAB_ZOOKEEPER_SERVERS"] = server.ConnectString };
            var data = Convert.ToBase64String("\u001ejson\n{\"Count\":7}"u8.ToArray());
            File.WriteAllText(Path.Combine(tools.Path, "backup.jsonl"), $$"""
                {"kind":"orleans-zk/states","version":1,"service":"installed","root":"/orleans/installed","exported":"2026-12-07T00:00:00+00:00","count":1}
                {"grainType":"counter","grainKey":"7","state":"data","etag":"1-0","modified":0,"data":"{{data}}"}
                """);
            var import = await Dotnet.RunAsync(orleansZk, ["states", "import", "backup.jsonl"], tools.Path, environment);
            Assert.Contains("1 created", import, StringComparison.Ordinal);
            var get = await Dotnet.RunAsync(orleansZk, ["states", "get", "counter", "7", "data", "-s", "installed"], tools.Path, environment);
            Assert.Contains("format    json", get, StringComparison.Ordinal);
            Assert.Contains("\"Count\": 7", get, StringComparison.Ordinal);
        }
        finally
        {
            Dotnet.ForgetCachedPackages(version);
        }
    }

    private static string Hash(string file) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
}

/// <summary>The repository this test runs from.</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.ZooKeeper.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Orleans.ZooKeeper.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Runs dotnet and git the way a user would.</summary>
internal static class Dotnet
{
    /// <summary>The version the repository packs by default (Directory.Build.props).</summary>
    public const string Version = "1.0.0-preview.1";

    /// <summary>Packs every src/ project (already built by the test command) into <paramref name="output"/>.</summary>
    public static Task PackAsync(string output, string? version = null)
    {
        var arguments = new List<string> { "pack", Path.Combine(Repository.Root, "Orleans.ZooKeeper.sln"), "-c", "Release", "--no-build", "--nologo", "-o", output };
        if (version is not null)
        {
            arguments.Add("-p:PackageVersion=" + version); // the packages' version (and their dependencies on each other)
        }

        return RunAsync("dotnet", arguments, Repository.Root);
    }

    /// <summary>
    /// A <c>nuget.config</c> in <paramref name="directory"/>: our packages only from <paramref name="feed"/> (a folder of
    /// packed packages), everything else from nuget.org.
    /// </summary>
    public static void WriteNuGetConfig(string directory, string feed)
        => File.WriteAllText(Path.Combine(directory, "nuget.config"), $$"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{{feed}}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local">
                  <package pattern="Orleans.ZooKeeper" />
                  <package pattern="Orleans.ZooKeeper.Client" />
                  <package pattern="Orleans.Clustering.ZooKeeper" />
                  <package pattern="Orleans.Persistence.ZooKeeper" />
                  <package pattern="Orleans.Reminders.ZooKeeper" />
                  <package pattern="Orleans.GrainDirectory.ZooKeeper" />
                </packageSource>
                <packageSource key="nuget.org">
                  <package pattern="*" />
                </packageSource>
              </packageSourceMapping>
            </configuration>
            """);

    /// <summary>Removes the packages of <paramref name="version"/> from the user-wide NuGet cache.</summary>
    public static void ForgetCachedPackages(string version)
    {
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var project in new[] { "orleans.zookeeper.client", "orleans.zookeeper", "orleans.persistence.zookeeper", "orleans.clustering.zookeeper", "orleans.reminders.zookeeper", "orleans.graindirectory.zookeeper", "orleans.zookeeper.tool" })
        {
            var dir = Path.Combine(cache, project, version);
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, string workingDirectory, IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within 4 minutes");
        }

        var output = await stdout + await stderr;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{output}");
        }

        return output;
    }
}

/// <summary>A temporary directory removed afterwards.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir(string prefix)
    {
        Path = Directory.CreateTempSubdirectory("zk-" + prefix + "-").FullName;
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
