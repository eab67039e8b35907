using System.Text;
using System.Text.RegularExpressions;

namespace Orleans.ZooKeeper.Packaging.Tests;

/// <summary>
/// Every fenced <c>csharp</c> block of README.md compiles against the projects, so a snippet can never rot: each block
/// becomes a file — its <c>using</c> lines at the top, its type declarations as they are, its statements in a method
/// whose parameters are the names README's snippets take as given (<see cref="Given"/>, listed in README) — and one
/// project with all of them is built. Compiler errors point at README's own lines (<c>#line</c>). A block whose first
/// line is <c>// partial</c> is deliberately incomplete and left out.
/// </summary>
[Collection(DotnetBuilds.Name)]
public sealed partial class ReadmeSnippetTests
{
    /// <summary>The names README's snippets use without declaring them, with their types (README, "Using the snippets").</summary>
    public static readonly (string Name, string Type)[] Given =
    [
        ("builder", "Microsoft.Extensions.Hosting.HostApplicationBuilder"),
        ("silo", "ISiloBuilder"),
        ("clientBuilder", "IClientBuilder"),
        ("client", "IClusterClient"),
        ("services", "IServiceProvider"),
        ("container", "ZooKeeperContainer"),
        ("store", "IFencedStore"),
        ("item", "object"),
        ("next", "object"),
        ("moreWork", "bool"),
        ("myEndpointBytes", "byte[]"),
        ("args", "string[]"),
        ("cancellationToken", "CancellationToken"),
        ("ct", "CancellationToken"),
    ];

    private const string Usings = """
        using System.Security.Authentication;
        using Microsoft.Extensions.Configuration;
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.Extensions.Hosting;
        using Orleans;
        using Orleans.Configuration;
        using Orleans.GrainDirectory;
        using Orleans.Hosting;
        using Orleans.Runtime;
        using Orleans.Streams;
        using Orleans.Streams.Core;
        using Orleans.ZooKeeper;
        using Orleans.ZooKeeper.Client;
        """;

    /// <summary>What the given names refer to: a few stand-in types.</summary>
    private const string Prelude = """
        namespace ReadmeSnippets;

        public interface IFencedStore
        {
            Task WriteAsync(object item, long fencingToken);
        }

        public sealed class MyConfig;

        public sealed class DatabaseOptions;

        [GenerateSerializer]
        public sealed class Profile;

        public interface IProfileGrain : IGrainWithStringKey;

        public interface ICartGrain : IGrainWithStringKey;
        """;

    [Fact]
    public async Task Every_csharp_block_of_the_readme_compiles_against_the_projects()
    {
        var readme = Path.Combine(Repository.Root, "README.md");
        var snippets = Extract(File.ReadAllText(readme));
        Assert.True(snippets.Count >= 10, $"only {snippets.Count} csharp blocks found in README.md");
        var project = Path.Combine(Repository.Root, "artifacts", "readme-snippets");
        if (Directory.Exists(project))
        {
            Directory.Delete(project, recursive: true);
        }

        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "ReadmeSnippets.csproj"), ProjectFile());
        File.WriteAllText(Path.Combine(project, "Prelude.cs"), Usings + "\n" + Prelude);
        var compiled = 0;
        foreach (var snippet in snippets.Where(s => !s.IsPartial))
        {
            File.WriteAllText(Path.Combine(project, $"Snippet{snippet.Index:00}.cs"), Generate(snippet, readme));
            compiled++;
        }

        // Built with the configuration the test run built the projects in, without building them again.
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var output = await BuildAsync(project, configuration);
        Assert.True(output.Success, $"README.md's C# blocks ({compiled} compiled) do not compile:\n{string.Join('\n', output.Errors)}");
    }

    [Fact]
    public void A_block_is_split_into_usings_types_and_statements_and_declared_names_are_not_given_again()
    {
        var snippet = Extract("""
            text
            ```csharp
            using Orleans.ZooKeeper.Client;

            [GrainDirectory("zk")]
            public sealed class CartGrain : Grain, ICartGrain { }

            var builder = Host.CreateApplicationBuilder(args);
            using var host = builder.Build();
            silo.AddZooKeeperContainer("main");
            ```
            """).Single();
        var code = Generate(snippet, "README.md");
        Assert.Contains("using Orleans.ZooKeeper.Client;", code, StringComparison.Ordinal);
        Assert.Matches(@"#line 5 ""README.md""\s+\[GrainDirectory\(""zk""\)\]\s+public sealed class CartGrain", code);
        Assert.Contains("ISiloBuilder silo", code, StringComparison.Ordinal);
        Assert.DoesNotContain("HostApplicationBuilder builder", code, StringComparison.Ordinal); // declared by the block
        Assert.Matches(@"#line 8 ""README.md""\s+var builder", code);
        Assert.Matches(@"#line 9 ""README.md""\s+using var host", code); // a using statement is a statement
    }

    internal sealed record Snippet(int Index, int Line, IReadOnlyList<string> Lines)
    {
        public bool IsPartial => Lines.Count > 0 && Lines[0].TrimStart().StartsWith("// partial", StringComparison.Ordinal);
    }

    /// <summary>The csharp blocks, each with the README line number of its first line.</summary>
    internal static List<Snippet> Extract(string readme)
    {
        var lines = readme.Split('\n');
        var snippets = new List<Snippet>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimEnd() != "```csharp")
            {
                continue;
            }

            var start = i + 1;
            var end = start;
            while (end < lines.Length && lines[end].TrimEnd() != "```")
            {
                end++;
            }

            snippets.Add(new Snippet(snippets.Count, start + 1, lines[start..end].Select(l => l.TrimEnd('\r')).ToList()));
            i = end;
        }

        return snippets;
    }

    /// <summary>One compilation unit: usings, the block's types as they are, its statements in a method taking the given names it does not declare.</summary>
    internal static string Generate(Snippet snippet, string readmePath)
    {
        var usings = new List<string>();
        var types = new StringBuilder();
        var statements = new StringBuilder();
        var lines = snippet.Lines;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            var number = snippet.Line + i;
            if (UsingDirective().IsMatch(line))
            {
                // A block that is a whole file names its usings; those the shared set has already are not repeated.
                if (!Usings.Split('\n').Any(u => u.Trim() == line.Trim()))
                {
                    usings.Add(line);
                }

                continue;
            }

            if (TypeStart().IsMatch(line))
            {
                // A declaration at column 0 (attributes first) up to its closing brace.
                types.Append('\n').Append($"#line {number} \"{readmePath}\"\n");
                var depth = 0;
                var opened = false;
                for (; i < lines.Count; i++)
                {
                    types.Append(lines[i]).Append('\n');
                    depth += lines[i].Count(c => c == '{') - lines[i].Count(c => c == '}');
                    opened |= lines[i].Contains('{', StringComparison.Ordinal);
                    if (opened && depth <= 0)
                    {
                        break;
                    }
                }

                continue;
            }

            statements.Append($"#line {number} \"{readmePath}\"\n").Append(line).Append('\n');
        }

        var body = statements.ToString();
        var parameters = Given.Where(g => !Regex.IsMatch(body, $@"(\bvar|\b[\w<>\[\]?]+)\s+{g.Name}\s*=")).Select(g => $"{g.Type} {g.Name}");
        return $$"""
            {{Usings}}
            {{string.Join('\n', usings)}}

            namespace ReadmeSnippets;
            {{types}}
            #line default
            internal static class Snippet{{snippet.Index:00}}
            {
                public static async Task RunAsync({{string.Join(", ", parameters)}})
                {
                    await Task.CompletedTask;
            {{body}}
            #line default
                }
            }
            """;
    }

    private static string ProjectFile()
    {
        var src = Path.Combine(Repository.Root, "src");
        var references = string.Join("\n", Directory.GetDirectories(src).Select(d => Path.Combine(d, Path.GetFileName(d) + ".csproj")).Where(File.Exists).Select(p => $"""    <ProjectReference Include="{p}" />"""));
        return $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Library</OutputType>
                <IsPackable>false</IsPackable>
                <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
                <GenerateDocumentationFile>false</GenerateDocumentationFile>
                <NoWarn>$(NoWarn);CS1591;CS8321;CS0168;CS0219;CS1998;CS4014</NoWarn>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Microsoft.Orleans.Server" />
                <PackageReference Include="Microsoft.Orleans.Sdk" />
                <PackageReference Include="Microsoft.Orleans.Streaming" />
                <PackageReference Include="Microsoft.Orleans.Persistence.Memory" />
                <PackageReference Include="Microsoft.Extensions.Hosting" />
                <PackageReference Include="Microsoft.Extensions.Configuration.Ini" />
              </ItemGroup>
              <ItemGroup>
            {references}
              </ItemGroup>
            </Project>
            """;
    }

    private static async Task<(bool Success, List<string> Errors)> BuildAsync(string project, string configuration)
    {
        try
        {
            await Dotnet.RunAsync("dotnet", ["build", project, "-c", configuration, "-p:BuildProjectReferences=false", "--nologo", "-clp:NoSummary"], project);
            return (true, []);
        }
        catch (InvalidOperationException ex)
        {
            var errors = ex.Message.Split('\n').Where(l => l.Contains(": error ", StringComparison.Ordinal)).Select(l => Regex.Replace(l.Trim(), @"\s*\[[^\]]*\.csproj\]$", string.Empty)).Distinct().ToList();
            return (false, errors.Count > 0 ? errors : [ex.Message]);
        }
    }

    [GeneratedRegex(@"^using (static )?[A-Za-z_][\w.]*;\s*$")]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"^(\[\w|(public|internal|static|sealed|abstract|partial|file)\b.*\b(class|record|interface|struct|enum)\b)")]
    private static partial Regex TypeStart();
}

[CollectionDefinition(Name)]
public sealed class DotnetBuilds
{
    /// <summary>Tests that run dotnet on the repository's projects: one at a time.</summary>
    public const string Name = "dotnet builds";
}
