using System.Globalization;

namespace Orleans.ZooKeeper.Benchmarks;

/// <summary>Small helpers the benchmark reports share.</summary>
internal static class Stats
{
    /// <summary>The median (NaN for no values).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>Formats with the invariant culture.</summary>
    public static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
