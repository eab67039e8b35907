using System.Globalization;

namespace Orleans.ZooKeeper.Sample;

/// <summary>
/// The loopback ports of the sample's two silos: 11311/11312 (silo) and 30311/30312 (gateway), or the four given in
/// SAMPLE_PORTS as "silo1,silo2,gateway1,gateway2" (the sample's test picks free ones).
/// </summary>
internal static class SamplePorts
{
    private static readonly int[] Ports = Read();

    public static IReadOnlyList<int> Silo { get; } = [Ports[0], Ports[1]];

    public static IReadOnlyList<int> Gateway { get; } = [Ports[2], Ports[3]];

    private static int[] Read()
    {
        var text = Environment.GetEnvironmentVariable("SAMPLE_PORTS");
        if (string.IsNullOrEmpty(text))
        {
            return [11311, 11312, 30311, 30312];
        }

        var parts = text.Split(',');
        var ports = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out ports[i]) || ports[i] is < 1 or > 65535)
            {
                throw new ArgumentException($"SAMPLE_PORTS '{text}': '{parts[i]}' is not a port (1-65535)");
            }
        }

        return ports.Length == 4 ? ports : throw new ArgumentException($"SAMPLE_PORTS '{text}' must name four ports: silo1,silo2,gateway1,gateway2");
    }
}
