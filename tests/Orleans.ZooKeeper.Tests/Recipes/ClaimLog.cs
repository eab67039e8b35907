using System.Diagnostics;
using System.Globalization;

namespace Orleans.ZooKeeper.Tests.Recipes;

/// <summary>A probe believed to lead (or hold) with <paramref name="Token"/> at some instant between T0 and T1 (Stopwatch timestamps).</summary>
internal sealed record Claim(int Process, long Token, long T0, long T1);

/// <summary>
/// Every claim of a set of probes, and the check that at no instant two processes believed to lead: claims are
/// sampled every few milliseconds; tokens only grow, so an older token may never be claimed after a newer one was.
/// </summary>
internal sealed class ClaimLog
{
    private ClaimLog(List<Claim> claims) => Claims = claims;

    public List<Claim> Claims { get; }

    public static ClaimLog Read(IEnumerable<ProbeProcess> probes)
    {
        var claims = new List<Claim>();
        foreach (var probe in probes)
        {
            foreach (var line in probe.Lines())
            {
                var parts = line.Split(' ');
                if (parts[0] == "claim")
                {
                    claims.Add(new Claim(probe.Index, Long(parts[1]), Long(parts[2]), Long(parts[3])));
                }
            }
        }

        claims.Sort((a, b) => a.T0.CompareTo(b.T0));
        return new ClaimLog(claims);
    }

    public static double Milliseconds(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    public static long Now() => Stopwatch.GetTimestamp();

    /// <summary>The first claim that began after <paramref name="since"/> and satisfies <paramref name="filter"/>.</summary>
    public Claim? FirstAfter(long since, Func<Claim, bool>? filter = null) => Claims.FirstOrDefault(c => c.T0 > since && (filter is null || filter(c)));

    /// <summary>
    /// The violations: a token claimed by two processes, or a claim of an older token that began after a claim of a
    /// newer token had ended (both believed to lead, one after the other had taken over).
    /// </summary>
    public List<string> Violations()
    {
        var violations = new List<string>();
        foreach (var byToken in Claims.GroupBy(c => c.Token))
        {
            var owners = byToken.Select(c => c.Process).Distinct().ToList();
            if (owners.Count > 1)
            {
                violations.Add($"token {byToken.Key} claimed by processes {string.Join(", ", owners)}");
            }
        }

        // Per token: the latest start and the earliest end of its claims.
        var spans = Claims.GroupBy(c => c.Token).Select(g => (Token: g.Key, LastStart: g.Max(c => c.T0), FirstEnd: g.Min(c => c.T1))).OrderBy(s => s.Token).ToList();
        for (var i = 0; i < spans.Count; i++)
        {
            for (var j = i + 1; j < spans.Count; j++)
            {
                if (spans[i].LastStart > spans[j].FirstEnd)
                {
                    violations.Add($"token {spans[i].Token} was still claimed {Milliseconds(spans[j].FirstEnd, spans[i].LastStart):0.#} ms after the newer token {spans[j].Token} had been");
                }
            }
        }

        return violations;
    }

    public string Summary() => $"{Claims.Count} claims by {Claims.Select(c => c.Process).Distinct().Count()} processes, {Claims.Select(c => c.Token).Distinct().Count()} tokens";

    private static long Long(string text) => long.Parse(text, CultureInfo.InvariantCulture);
}
