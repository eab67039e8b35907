using Orleans.Runtime;

namespace Orleans.Reminders.ZooKeeper.Tests;

/// <summary>The row codec alone: StartAt and Period come back to the tick (StartAt with its kind), ETags parse strictly.</summary>
public sealed class CodecTests
{
    [Fact]
    public void StartAt_and_period_round_trip_to_the_tick_for_every_kind()
    {
        var random = new Random(7);
        var grain = GrainId.Create("g", "k/1");
        for (var i = 0; i < 2000; i++)
        {
            var kind = (DateTimeKind)(i % 3);
            var startAt = new DateTime(random.NextInt64(DateTime.MinValue.Ticks + TimeSpan.TicksPerDay, DateTime.MaxValue.Ticks - TimeSpan.TicksPerDay), kind);
            var period = TimeSpan.FromTicks(random.NextInt64(0, TimeSpan.FromDays(3650).Ticks));
            var entry = new ReminderEntry { GrainId = grain, ReminderName = "r" + i, StartAt = startAt, Period = period };
            var back = ReminderRowCodec.Decode(ReminderRowCodec.Encode(entry, "0123456789abcdef"), 3);
            if (kind == DateTimeKind.Local)
            {
                Assert.Equal(startAt.ToUniversalTime(), back.StartAt.ToUniversalTime()); // the same instant (an offset is stored)
            }
            else
            {
                Assert.Equal((startAt.Ticks, kind), (back.StartAt.Ticks, back.StartAt.Kind));
            }

            Assert.Equal(period, back.Period);
            Assert.Equal(("r" + i, grain, "0123456789abcdef.3"), (back.ReminderName, back.GrainId, back.ETag));
        }
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("[1]")]
    [InlineData("{\"grainId\":\"g/k\",\"reminderName\":\"r\",\"startAt\":\"yesterday\",\"period\":\"00:01:00\",\"incarnation\":\"0123456789abcdef\"}")]
    [InlineData("{\"grainId\":\"g/k\",\"reminderName\":\"r\",\"startAt\":\"2026-01-01T00:00:00.0000000Z\",\"period\":1,\"incarnation\":\"0123456789abcdef\"}")]
    [InlineData("{\"grainId\":\"g/k\",\"reminderName\":\"r\",\"startAt\":\"2026-01-01T00:00:00.0000000Z\",\"period\":\"00:01:00\"}")]
    [InlineData("not json")]
    public void Anything_else_is_a_format_error_naming_what_is_wrong(string json)
    {
        var ex = Assert.ThrowsAny<Exception>(() => ReminderRowCodec.Decode(System.Text.Encoding.UTF8.GetBytes(json), 0));
        Assert.True(ex is FormatException, ex.GetType().Name + ": " + ex.Message);
    }

    [Theory]
    [InlineData("0123456789abcdef.0", true)]
    [InlineData("0123456789abcdef.42", true)]
    [InlineData("0123456789ABCDEF.0", false)]
    [InlineData("0123456789abcdef", false)]
    [InlineData("0123456789abcdef.", false)]
    [InlineData("0123456789abcdef.-1", false)]
    [InlineData("0123456789abcde.1", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void ETags_parse_strictly(string? etag, bool valid) => Assert.Equal(valid, ReminderRowCodec.TryParseETag(etag, out _, out _));
}
