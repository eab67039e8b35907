namespace Orleans.ZooKeeper.Client;

/// <summary>ZooKeeper path rules (the server's PathUtils) and small path helpers.</summary>
public static class ZooKeeperPath
{
    /// <summary>Returns null when <paramref name="path"/> is a valid znode path, else the reason it is not.</summary>
    /// <param name="path">The path.</param>
    /// <param name="isSequential">True when a sequence number will be appended (a trailing '/' is then allowed).</param>
    public static string? GetError(string? path, bool isSequential = false)
    {
        if (path is null)
        {
            return "the path is null";
        }

        if (isSequential)
        {
            // The server checks a sequential path with a digit appended, like the name it will create.
            return path.Length == 0 ? "the path is empty" : GetError(path + "1");
        }

        if (path.Length == 0)
        {
            return "the path is empty";
        }

        if (path[0] != '/')
        {
            return "the path must start with '/'";
        }

        if (path.Length == 1)
        {
            return null;
        }

        if (path[^1] == '/')
        {
            return "the path must not end with '/'";
        }

        var componentStart = 1;
        for (var i = 1; i < path.Length; i++)
        {
            var c = path[i];
            if (c == '/')
            {
                var error = CheckComponent(path, componentStart, i);
                if (error is not null)
                {
                    return error;
                }

                componentStart = i + 1;
                continue;
            }

            if (c == '\0')
            {
                return $"the null character is not allowed (index {i})";
            }

            if (c is > '\u0000' and <= '\u001f' or >= '\u007f' and <= '\u009f' or >= '\ud800' and <= '\uf8ff' or >= '\ufff0')
            {
                return $"the character U+{(int)c:X4} is not allowed (index {i})";
            }
        }

        return componentStart < path.Length ? CheckComponent(path, componentStart, path.Length) : null;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the path and the rule it breaks, unless it is valid.</summary>
    public static void Validate(string? path, bool isSequential = false, string? paramName = "path")
    {
        var error = GetError(path, isSequential);
        if (error is not null)
        {
            throw new ArgumentException($"Invalid ZooKeeper path '{ZooKeeperText.Printable(path)}': {error}.", paramName);
        }
    }

    /// <summary>True when <paramref name="path"/> is valid.</summary>
    public static bool IsValid(string? path) => GetError(path) is null;

    /// <summary>Joins a parent path and a child name or relative path.</summary>
    public static string Combine(string parent, string child)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(child);
        child = child.TrimStart('/');
        if (child.Length == 0)
        {
            return parent;
        }

        return parent == "/" ? "/" + child : parent.TrimEnd('/') + "/" + child;
    }

    /// <summary>The parent of a path ("/" for top-level nodes); null for "/".</summary>
    public static string? GetParent(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path == "/")
        {
            return null;
        }

        var i = path.LastIndexOf('/');
        return i <= 0 ? "/" : path[..i];
    }

    /// <summary>The last component of a path.</summary>
    public static string GetName(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var i = path.LastIndexOf('/');
        return i < 0 ? path : path[(i + 1)..];
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="ancestor"/> or below it.</summary>
    public static bool IsAtOrBelow(string path, string ancestor)
    {
        if (ancestor == "/")
        {
            return path.Length > 0 && path[0] == '/';
        }

        return path.Length >= ancestor.Length
            && path.StartsWith(ancestor, StringComparison.Ordinal)
            && (path.Length == ancestor.Length || path[ancestor.Length] == '/');
    }

    private static string? CheckComponent(string path, int start, int end)
    {
        var len = end - start;
        if (len == 0)
        {
            return $"empty component ('//') at index {start - 1}";
        }

        if (len == 1 && path[start] == '.')
        {
            return "'.' is not allowed as a path component";
        }

        if (len == 2 && path[start] == '.' && path[start + 1] == '.')
        {
            return "'..' is not allowed as a path component";
        }

        return null;
    }
}
