using System.Text;
using Orleans.Runtime;
using Orleans.Storage;

namespace Orleans.Persistence.ZooKeeper.Tests;

/// <summary>
/// Seeded random sequences of read / write / clear with no, the current, a stale or an unknown ETag over a few slots
/// (grain × state name), checked step by step against an in-memory model of what the storage contract promises.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ModelBasedTests(ServerFixture fixture)
{
    private enum ETagChoice
    {
        None,
        Current,
        Stale,
        Unknown,
    }

    /// <summary>The model of one slot.</summary>
    private sealed class Slot(GrainId grainId, string stateName)
    {
        public GrainId GrainId { get; } = grainId;

        public string StateName { get; } = stateName;

        /// <summary>The znode exists (a kept, cleared node counts).</summary>
        public bool NodeExists { get; set; }

        public bool RecordExists { get; set; }

        public int Value { get; set; }

        public string? ETag { get; set; }

        public List<string> Issued { get; } = [];

        public override string ToString() => $"{GrainId}/{StateName}";
    }

    [Theory]
    [InlineData(1, false, 400)]
    [InlineData(2, true, 400)]
    [InlineData(3, false, 300)]
    [InlineData(4, true, 300)]
    public async Task Random_operation_sequences_match_the_model(int seed, bool deleteStateOnClear, int steps)
    {
        await using var zk = await fixture.StartStorageAsync(o => o.DeleteStateOnClear = deleteStateOnClear);
        var random = new Random(seed);
        var shared = Ids.String("model", "shared");
        var slots = new[]
        {
            new Slot(shared, "a"),
            new Slot(shared, "b"),
            new Slot(Ids.String("model", "other"), "a"),
            new Slot(Ids.Long("model-long", 7), "a"),
        };
        var trace = new StringBuilder();
        var allIssued = new HashSet<string>(StringComparer.Ordinal);
        var successes = new Dictionary<string, int>();
        var conflicts = new Dictionary<string, int>();

        for (var step = 0; step < steps; step++)
        {
            var slot = slots[random.Next(slots.Length)];
            var roll = random.Next(10);
            var choice = (ETagChoice)random.Next(4);
            var etag = choice switch
            {
                ETagChoice.None => null,
                ETagChoice.Current => slot.ETag,
                ETagChoice.Stale => slot.Issued.Where(e => e != slot.ETag).DefaultIfEmpty("77777-3").ElementAt(random.Next(Math.Max(1, slot.Issued.Count(e => e != slot.ETag)))),
                _ => random.Next(2) == 0 ? "ffffff-0" : "bogus",
            };
            var value = random.Next(1, 1_000_000);
            var op = roll < 3 ? "read" : roll < 7 ? "write" : "clear";
            trace.AppendLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{step}: {op} {slot} etag={choice}:{etag ?? "null"} value={value} (model: node={slot.NodeExists} record={slot.RecordExists} etag={slot.ETag ?? "null"})"));
            var where = $"seed {seed}, step {step}; last steps:\n{string.Join('\n', trace.ToString().Split('\n').TakeLast(12))}";

            switch (op)
            {
                case "read":
                {
                    var read = new GrainState<TestState> { ETag = "junk", RecordExists = true, State = new TestState { Value = -1 } };
                    await zk.GrainStorage.ReadStateAsync(slot.StateName, slot.GrainId, read);
                    Check(slot.RecordExists == read.RecordExists, "read: RecordExists", where);
                    Check(slot.ETag == read.ETag, $"read: ETag {read.ETag} (expected {slot.ETag})", where);
                    Check((slot.RecordExists ? slot.Value : 0) == read.State!.Value, $"read: value {read.State.Value}", where);
                    Count(successes, op);
                    break;
                }

                case "write":
                {
                    var expectOk = etag == slot.ETag;
                    var state = new GrainState<TestState> { State = new TestState { Value = value }, ETag = etag, RecordExists = etag is not null };
                    var ex = await Record.ExceptionAsync(() => zk.GrainStorage.WriteStateAsync(slot.StateName, slot.GrainId, state));
                    if (expectOk)
                    {
                        Check(ex is null, $"write should succeed: {ex}", where);
                        Check(state.ETag is not null && allIssued.Add(state.ETag), $"write: ETag {state.ETag} must be new", where);
                        Check(state.RecordExists, "write: RecordExists", where);
                        slot.NodeExists = true;
                        slot.RecordExists = true;
                        slot.Value = value;
                        slot.ETag = state.ETag;
                        slot.Issued.Add(state.ETag!);
                        Count(successes, op + "/" + choice);
                    }
                    else
                    {
                        Check(ex is InconsistentStateException, $"write should conflict: {ex?.ToString() ?? "it succeeded"}", where);
                        Check(state.ETag == etag, "write: a failed write must not change the caller's ETag", where);
                        Count(conflicts, op + "/" + choice);
                    }

                    break;
                }

                default:
                {
                    var expectOk = etag == slot.ETag;
                    var state = new GrainState<TestState> { State = new TestState { Value = value }, ETag = etag, RecordExists = etag is not null };
                    var ex = await Record.ExceptionAsync(() => zk.GrainStorage.ClearStateAsync(slot.StateName, slot.GrainId, state));
                    if (expectOk)
                    {
                        Check(ex is null, $"clear should succeed: {ex}", where);
                        Check(!state.RecordExists, "clear: RecordExists", where);
                        Check(state.State is { Value: 0 }, "clear: state reset to default", where);
                        if (etag is null)
                        {
                            // Nothing stored: a no-op.
                            Check(state.ETag is null, "clear of nothing: ETag stays null", where);
                        }
                        else if (deleteStateOnClear)
                        {
                            Check(state.ETag is null, "clear with delete: ETag null", where);
                            slot.NodeExists = false;
                            slot.ETag = null;
                        }
                        else
                        {
                            Check(state.ETag is not null && allIssued.Add(state.ETag), $"clear without delete: ETag {state.ETag} must be new", where);
                            slot.ETag = state.ETag;
                            slot.Issued.Add(state.ETag!);
                        }

                        slot.RecordExists = false;
                        Count(successes, op + "/" + choice);
                    }
                    else
                    {
                        Check(ex is InconsistentStateException, $"clear should conflict: {ex?.ToString() ?? "it succeeded"}", where);
                        Check(state.ETag == etag, "clear: a failed clear must not change the caller's ETag", where);
                        Count(conflicts, op + "/" + choice);
                    }

                    break;
                }
            }

            if (step % 25 == 0)
            {
                foreach (var s in slots)
                {
                    var exists = await fixture.Raw.ExistsAsync(zk.PathFor(s.GrainId, s.StateName)) is not null;
                    Check(exists == s.NodeExists, $"{s}: znode exists={exists}, model says {s.NodeExists}", where);
                }
            }
        }

        // The sequence exercised every interesting outcome, not just one path.
        foreach (var expected in new[] { "read", "write/None", "write/Current", "clear/Current" })
        {
            Assert.True(successes.ContainsKey(expected), $"no successful {expected} in {steps} steps");
        }

        foreach (var expected in new[] { "write/None", "write/Stale", "write/Unknown", "clear/Stale", "clear/Unknown" })
        {
            Assert.True(conflicts.ContainsKey(expected), $"no conflicting {expected} in {steps} steps");
        }
    }

    private static void Check(bool condition, string what, string where)
    {
        if (!condition)
        {
            Assert.Fail($"{what} — {where}");
        }
    }

    private static void Count(Dictionary<string, int> counts, string key) => counts[key] = counts.GetValueOrDefault(key) + 1;
}
