using System.Globalization;
using System.Text.RegularExpressions;
using Orleans.ZooKeeper.Testing;

namespace Orleans.ZooKeeper.Packaging.Tests;

/// <summary>
/// README's "Your own silo in five minutes", done as a newcomer would: its shell lines run as written (the packages
/// from a folder with this commit packed, `--prerelease` pinned to that build's version), its <c>Program.cs</c> block
/// copied as written; only the ZooKeeper address and the two ports are the test's own. Two runs print
/// <c>run number 1</c> and <c>run number 2</c>.
/// </summary>
[Collection(DotnetBuilds.Name)]
public sealed partial class FiveMinuteSiloTests
{
    private const string Section = "## Your own silo in five minutes";

    [Fact]
    public async Task The_readme_silo_runs_as_written_and_keeps_its_count_in_zookeeper()
    {
        var (commands, program) = ReadSection(File.ReadAllText(Path.Combine(Repository.Root, "README.md")));
        Assert.Contains(commands, c => c.StartsWith("dotnet new console -n MySilo", StringComparison.Ordinal));
        Assert.Equal(3, commands.Count(c => c.StartsWith("dotnet add package", StringComparison.Ordinal)));

        var version = "1.0.0-fiveminutes." + Guid.NewGuid().ToString("N")[..12];
        using var feed = new TempDir("feed");
        using var work = new TempDir("five-minutes");
        await using var server = await ZooKeeperServer.StartNewAsync();
        try
        {
            await Dotnet.PackAsync(feed.Path, version);
            Dotnet.WriteNuGetConfig(work.Path, feed.Path);

            // The shell lines, in order ("a && cd b" as two steps); --prerelease means this build's version here.
            var project = work.Path;
            foreach (var command in commands)
            {
                foreach (var step in command.Split(" && "))
                {
                    if (step.StartsWith("cd ", StringComparison.Ordinal))
                    {
                        project = Path.Combine(project, step[3..].Trim());
                        continue;
                    }

                    var words = step.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
                    var prerelease = words.IndexOf("--prerelease");
                    if (prerelease >= 0)
                    {
                        words[prerelease] = "--version";
                        words.Insert(prerelease + 1, version);
                    }

                    Assert.Equal("dotnet", words[0]);
                    await Dotnet.RunAsync("dotnet", words.Skip(1), project);
                }
            }

            var siloPort = FreePort.Next().ToString(CultureInfo.InvariantCulture);
            var gatewayPort = FreePort.Next().ToString(CultureInfo.InvariantCulture);
            var code = program
                .Replace("127.0.0.1:2181", server.ConnectString, StringComparison.Ordinal)
                .Replace("siloPort: 11111", "siloPort: " + siloPort, StringComparison.Ordinal)
                .Replace("gatewayPort: 30000", "gatewayPort: " + gatewayPort, StringComparison.Ordinal);
            Assert.NotEqual(program, code);
            File.WriteAllText(Path.Combine(project, "Program.cs"), code);

            var first = await Dotnet.RunAsync("dotnet", ["run", "-c", "Release"], project);
            Assert.Contains("run number 1", first, StringComparison.Ordinal);
            var second = await Dotnet.RunAsync("dotnet", ["run", "-c", "Release", "--no-build"], project);
            Assert.Contains("run number 2", second, StringComparison.Ordinal);
        }
        finally
        {
            Dotnet.ForgetCachedPackages(version);
        }
    }

    /// <summary>The section's shell lines (indented by four spaces, starting with <c>dotnet</c>) and its first csharp block.</summary>
    internal static (List<string> Commands, string Program) ReadSection(string readme)
    {
        var start = readme.IndexOf(Section, StringComparison.Ordinal);
        Assert.True(start >= 0, $"README.md has no '{Section}' section");
        var end = readme.IndexOf("\n## ", start + Section.Length, StringComparison.Ordinal);
        var section = readme[start..(end < 0 ? readme.Length : end)];
        var commands = section.Split('\n').Where(l => l.StartsWith("    dotnet ", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
        var block = CSharpBlock().Match(section);
        Assert.True(block.Success, "the section has no csharp block");
        return (commands, block.Groups[1].Value);
    }

    [GeneratedRegex(@"```csharp\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
