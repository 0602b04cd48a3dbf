using LoadGenerator.Recording;

namespace LoadGenerator.Tests;

public class LatencyRecorderTests
{
    [Fact]
    public void Values_below_128_microseconds_are_exact()
    {
        for (long v = 0; v < 128; v++)
        {
            var i = LatencyRecorder.IndexOf(v);
            Assert.Equal(v, LatencyRecorder.LowerBoundOf(i));
            Assert.Equal(v, LatencyRecorder.UpperBoundOf(i));
        }
    }

    [Theory]
    [InlineData(128L)]
    [InlineData(129L)]
    [InlineData(1_000L)]
    [InlineData(20_000L)]
    [InlineData(1_234_567L)]
    [InlineData(60_000_000_000L)]
    public void A_large_value_lands_in_a_bucket_that_contains_it_and_is_at_most_one_64th_wide(long value)
    {
        var i = LatencyRecorder.IndexOf(value);
        var low = LatencyRecorder.LowerBoundOf(i);
        var high = LatencyRecorder.UpperBoundOf(i);
        Assert.InRange(value, low, high);
        Assert.True(high - low + 1 <= Math.Max(1, low / 64), $"bucket [{low}, {high}] too wide for {value}");
    }

    [Fact]
    public void Buckets_are_contiguous_and_increasing()
    {
        for (var i = 1; i < 2048; i++)
            Assert.Equal(LatencyRecorder.UpperBoundOf(i - 1) + 1, LatencyRecorder.LowerBoundOf(i));
    }

    [Fact]
    public void Percentiles_of_a_uniform_distribution_are_within_the_bucket_precision()
    {
        var recorder = new LatencyRecorder();
        for (long v = 1; v <= 10_000; v++) recorder.Record(v);
        Assert.Equal(10_000, recorder.Count);
        foreach (var (p, expected) in new[] { (50.0, 5_000L), (95.0, 9_500L), (99.0, 9_900L), (100.0, 10_000L) })
        {
            var actual = recorder.Percentile(p);
            Assert.InRange(actual, expected, expected + expected / 64 + 1);
        }
        Assert.Equal(1, recorder.Min);
        Assert.Equal(10_000, recorder.Max);
        Assert.Equal(5_000.5, recorder.Mean, 3);
    }

    [Fact]
    public void A_single_outlier_shows_only_in_the_top_percentile()
    {
        var recorder = new LatencyRecorder();
        for (var i = 0; i < 999; i++) recorder.Record(1_000);
        recorder.Record(5_000_000);
        Assert.InRange(recorder.Percentile(99), 1_000, 1_016);
        Assert.InRange(recorder.Percentile(99.95), 5_000_000, 5_000_000);
        Assert.Equal(5_000_000, recorder.Percentile(100));
    }

    [Fact]
    public void Empty_recorder_reports_zero_and_rejects_bad_percentiles()
    {
        var recorder = new LatencyRecorder();
        Assert.Equal(0, recorder.Percentile(99));
        Assert.Equal(0, recorder.Max);
        Assert.Throws<ArgumentOutOfRangeException>(() => recorder.Percentile(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => recorder.Percentile(100.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => recorder.Percentile(double.NaN));
    }

    [Fact]
    public void Negative_values_count_as_zero_and_huge_ones_are_clamped()
    {
        var recorder = new LatencyRecorder();
        recorder.Record(-5);
        recorder.Record(long.MaxValue);
        Assert.Equal(2, recorder.Count);
        Assert.Equal(0, recorder.Min);
        Assert.Equal(LatencyRecorder.MaxValue, recorder.Max);
        Assert.Equal(1, recorder.Clamped);
    }

    [Fact]
    public async Task Concurrent_recording_loses_no_sample()
    {
        var recorder = new LatencyRecorder();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++) recorder.Record(i % 3_000);
        })));
        Assert.Equal(80_000, recorder.Count);
        Assert.Equal(2_999, recorder.Max);
    }
}
