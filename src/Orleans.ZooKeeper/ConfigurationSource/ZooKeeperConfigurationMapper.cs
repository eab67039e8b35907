using System.Text;
using System.Text.Json;

namespace Orleans.ZooKeeper;

/// <summary>Turns a cached subtree into configuration keys and values (the rules are on <see cref="ZooKeeperConfigurationSource"/>).</summary>
internal static class ZooKeeperConfigurationMapper
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static Dictionary<string, string?> Map(string root, IReadOnlyDictionary<string, ZooKeeperCachedNode> nodes, ZooKeeperConfigurationValueFormat format)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var origins = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var withChildren = new HashSet<string>(nodes.Keys.Select(p => p == root ? null : ParentOf(p)).OfType<string>(), StringComparer.Ordinal);
        foreach (var node in nodes.Values.OrderBy(n => n.Path, StringComparer.Ordinal))
        {
            var key = KeyOf(root, node.Path);
            if (!node.IsReadable)
            {
                throw Error(node.Path, $"it cannot be read: {node.ReadError}. Give the configuration's session READ permission on it (credentials in the section's username/password).");
            }

            if (node.Data.Length == 0)
            {
                if (key.Length > 0 && !withChildren.Contains(node.Path))
                {
                    Set(data, origins, key, string.Empty, node.Path);
                }

                continue;
            }

            string text;
            try
            {
                text = StrictUtf8.GetString(node.Data);
            }
            catch (DecoderFallbackException ex)
            {
                throw Error(node.Path, "its data is not UTF-8 text.", ex);
            }

            if (format == ZooKeeperConfigurationValueFormat.Json || (format == ZooKeeperConfigurationValueFormat.Auto && text.TrimStart() is ['{' or '[', ..]))
            {
                AddJson(data, origins, key, node.Path, text);
            }
            else if (key.Length == 0)
            {
                throw Error(node.Path, "the root node holds a plain value, which has no key to go under: give the root a JSON object, or leave it empty and put values in child nodes.");
            }
            else
            {
                Set(data, origins, key, text, node.Path);
            }
        }

        return data;
    }

    private static void AddJson(Dictionary<string, string?> data, Dictionary<string, string> origins, string key, string path, string text)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            // The parser's message names the line and byte position, never the data.
            throw Error(path, $"its data is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (key.Length == 0 && document.RootElement.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array))
            {
                throw Error(path, $"the root node holds a JSON {document.RootElement.ValueKind}, which has no key to go under: give it a JSON object.");
            }

            Flatten(data, origins, key, document.RootElement, path);
        }
    }

    private static void Flatten(Dictionary<string, string?> data, Dictionary<string, string> origins, string key, JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var anyProperty = false;
                foreach (var property in element.EnumerateObject())
                {
                    anyProperty = true;
                    Flatten(data, origins, Join(key, property.Name), property.Value, path);
                }

                if (!anyProperty && key.Length > 0)
                {
                    Set(data, origins, key, null, path);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(data, origins, Join(key, index++.ToString(System.Globalization.CultureInfo.InvariantCulture)), item, path);
                }

                if (index == 0 && key.Length > 0)
                {
                    Set(data, origins, key, null, path);
                }

                break;
            default:
                Set(data, origins, key, element.ToString(), path);
                break;
        }
    }

    private static void Set(Dictionary<string, string?> data, Dictionary<string, string> origins, string key, string? value, string path)
    {
        if (origins.TryGetValue(key, out var first))
        {
            throw Error(path, $"it gives the configuration key '{key}', which {(first == path ? "it gives twice" : $"ZooKeeper node '{first}' gives too")} (keys are case-insensitive).");
        }

        origins[key] = path;
        data[key] = value;
    }

    private static string KeyOf(string root, string path)
    {
        if (path == root)
        {
            return string.Empty;
        }

        var relative = root == "/" ? path[1..] : path[(root.Length + 1)..];
        return relative.Replace('/', ':');
    }

    private static string? ParentOf(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash < 0 ? null : slash == 0 ? "/" : path[..slash];
    }

    private static string Join(string key, string name) => key.Length == 0 ? name : key + ":" + name;

    private static ZooKeeperConfigurationException Error(string path, string what, Exception? inner = null)
        => new($"Configuration from ZooKeeper: node '{path}' cannot be used: {what}", $"ZooKeeper node '{path}'", null, inner);
}
