using System.Globalization;
using static Orleans.ZooKeeper.ConfigurationText;

namespace Orleans.ZooKeeper;

/// <summary>
/// A duration as a configuration value (<c>timeout</c>, <c>session_timeout</c>, <c>connect_timeout</c>): a number
/// of seconds (<c>10</c>, <c>2.5</c>); a number with asab's units (<c>10s</c>, <c>500ms</c>, <c>1.5m</c>, <c>2h</c>,
/// <c>1d</c>, <c>1w</c>, <c>1M</c> = 31 days, <c>1y</c> = 365 days; <c>D</c>, <c>W</c>, <c>Y</c> also; spaces
/// between number and unit are ignored, as asab's <c>convert_to_seconds</c> does); or a TimeSpan
/// (<c>00:00:10</c>). Positive, at least 1 ms, at most int.MaxValue ms.
/// </summary>
internal static class DurationValue
{
    /// <summary>asab's units and their length in seconds, longest suffix first.</summary>
    private static readonly (string Suffix, double Seconds)[] Units =
    [
        ("ms", 0.001), ("y", 86400 * 365), ("Y", 86400 * 365), ("M", 86400 * 31), ("w", 86400 * 7), ("W", 86400 * 7),
        ("d", 86400), ("D", 86400), ("h", 3600), ("m", 60), ("s", 1),
    ];

    /// <summary>Parses <paramref name="text"/>; throws <see cref="ZooKeeperConfigurationException"/> naming <paramref name="what"/> and <paramref name="origin"/>.</summary>
    /// <param name="text">The value (never trimmed by the caller; leading and trailing whitespace was already refused).</param>
    /// <param name="origin">Where it came from, e.g. <c>configuration key 'zookeeper:timeout'</c>.</param>
    /// <param name="what">The setting in messages, e.g. <c>session timeout</c>.</param>
    public static TimeSpan Parse(string text, string origin, string what)
    {
        var shown = $"The {what} '{Printable(text)}' in {origin}";
        TimeSpan timeout;
        if (TryParseSeconds(text, out var seconds))
        {
            if (!double.IsFinite(seconds) || seconds <= 0)
            {
                throw Error($"{shown} must be a positive duration.", origin, text);
            }

            if (seconds * 1000 > int.MaxValue)
            {
                throw Error($"{shown} is too large (at most {int.MaxValue} ms).", origin, text);
            }

            timeout = TimeSpan.FromSeconds(seconds);
        }
        else if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out timeout))
        {
            if (timeout <= TimeSpan.Zero)
            {
                throw Error($"{shown} must be positive.", origin, text);
            }

            if (timeout.TotalMilliseconds > int.MaxValue)
            {
                throw Error($"{shown} is too large (at most {int.MaxValue} ms).", origin, text);
            }
        }
        else
        {
            throw Error(
                $"{shown} is neither a number of seconds (e.g. 10 or 2.5), a duration with a unit as asab writes it (e.g. 10s, 500ms, 2m, 1h) nor a TimeSpan (e.g. 00:00:10).",
                origin,
                text);
        }

        if (timeout < TimeSpan.FromMilliseconds(1))
        {
            throw Error($"{shown} is shorter than 1 ms.", origin, text);
        }

        return timeout;
    }

    /// <summary>A plain number of seconds, or a number followed by one of asab's units (spaces ignored).</summary>
    private static bool TryParseSeconds(string text, out double seconds)
    {
        var compact = text.Contains(' ', StringComparison.Ordinal) ? text.Replace(" ", string.Empty, StringComparison.Ordinal) : text;
        if (double.TryParse(compact, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds))
        {
            return true;
        }

        foreach (var (suffix, unit) in Units)
        {
            if (compact.Length > suffix.Length && compact.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(compact.AsSpan(0, compact.Length - suffix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                seconds = number * unit;
                return true;
            }
        }

        seconds = 0;
        return false;
    }
}
