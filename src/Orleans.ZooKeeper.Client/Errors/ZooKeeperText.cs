using System.Globalization;
using System.Text;

namespace Orleans.ZooKeeper.Client;

/// <summary>How a value is shown inside an error message, by the client and everything built on it.</summary>
public static class ZooKeeperText
{
    /// <summary>
    /// The text with control, surrogate, non-character and non-space whitespace characters written as <c>\uXXXX</c>,
    /// so a message never carries invisible or line-breaking characters; <c>&lt;null&gt;</c> for null.
    /// </summary>
    public static string Printable(string? value)
    {
        if (value is null)
        {
            return "<null>";
        }

        StringBuilder? sb = null;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var escape = char.IsControl(c) || char.IsSurrogate(c) || c >= '\ufff0' || (c != ' ' && char.IsWhiteSpace(c));
            if (escape && sb is null)
            {
                sb = new StringBuilder(value.Length + 8).Append(value, 0, i);
            }

            if (escape)
            {
                sb!.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb?.Append(c);
            }
        }

        return sb?.ToString() ?? value;
    }
}
