using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Orleans.ZooKeeper.Tool.Output;

/// <summary>
/// Where a command's answer goes: tables (Spectre.Console, no colours or markup when redirected, so scripts and tests
/// read plain text) or, with <c>--json</c>, one JSON document; notes and progress go to the error stream.
/// </summary>
internal sealed class Report
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private static readonly JsonSerializerOptions JsonLineOptions = new(JsonOptions) { WriteIndented = false };

    public Report(TextWriter output, TextWriter error, bool json, bool interactive)
    {
        Out = output;
        Error = error;
        Json = json;
        Interactive = interactive;
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>True with <c>--json</c>.</summary>
    public bool Json { get; }

    /// <summary>True when a person watches (a terminal): progress bars and colours.</summary>
    public bool Interactive { get; }

    /// <summary>A table with <paramref name="headers"/>; cells are plain text (never markup).</summary>
    public void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, string? title = null)
    {
        var table = new Table { Border = TableBorder.Simple, ShowHeaders = true };
        if (title is not null)
        {
            table.Title = new TableTitle(title);
        }

        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(new Text(header)) { NoWrap = true });
        }

        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => (IRenderable)new Text(cell)));
        }

        // Rendered without colours into text, then written without the padding Spectre puts after each cell, so
        // scripts, logs and diffs see clean lines (and a person at a terminal the same).
        using var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(text),
        });
        console.Profile.Width = 1000;
        console.Write(table);
        var lines = text.ToString().Split('\n').Select(l => l.TrimEnd()).ToList();
        foreach (var line in lines.SkipWhile(l => l.Length == 0).Reverse().SkipWhile(l => l.Length == 0).Reverse())
        {
            Out.WriteLine(line);
        }
    }

    /// <summary>Name/value lines: <c>name   value</c>.</summary>
    public void Fields(IEnumerable<(string Name, string Value)> fields)
    {
        var list = fields.ToList();
        var width = list.Count == 0 ? 0 : list.Max(f => f.Name.Length);
        foreach (var (name, value) in list)
        {
            Out.WriteLine(name.PadRight(width + 2) + value);
        }
    }

    public void Line(string text = "") => Out.WriteLine(text);

    /// <summary>One JSON document (indented).</summary>
    public void JsonDocument<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>One JSON value on one line (JSON lines).</summary>
    public void JsonLine<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, JsonLineOptions));

    /// <summary>A note for the person at the terminal (stderr, so stdout stays the answer).</summary>
    public void Note(string text) => Error.WriteLine(text);

    /// <summary>A JSON line in the shape <see cref="JsonLine"/> writes, read back.</summary>
    public static T? ParseJsonLine<T>(string line) => JsonSerializer.Deserialize<T>(line, JsonLineOptions);

    /// <summary>Runs <paramref name="work"/> with a progress bar on a terminal, or plainly otherwise.</summary>
    public async Task WithProgressAsync(string description, int total, Func<Action<int>, Task> work)
    {
        if (!Interactive || Json || total < 50)
        {
            await work(_ => { }).ConfigureAwait(false);
            return;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Error) });
        await console.Progress().AutoClear(true).StartAsync(async context =>
        {
            var task = context.AddTask(description, maxValue: total);
            await work(done => task.Value = done).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }
}
