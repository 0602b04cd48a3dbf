namespace LoadGenerator.Recording;

/// <summary>
/// A thread-safe, fixed-memory latency histogram in microseconds, bucketed like HdrHistogram with 64 sub-buckets per
/// power of two: values below 128 µs are exact, larger ones are kept within 1/64 (1.6 %) of their true value. Values
/// above <see cref="MaxValue"/> are clamped (and counted in <see cref="Clamped"/>).
/// </summary>
public sealed class LatencyRecorder
{
    private const int SubBucketBits = 6;
    private const int SubBuckets = 1 << SubBucketBits; // 64
    private const int LinearLimit = SubBuckets * 2; // 128: exact below this
    private const int MaxExponent = 30;

    /// <summary>The largest value kept as such (about 2^37 µs, 38 hours).</summary>
    public static readonly long MaxValue = UpperBoundOf(BucketCount - 1);

    private static int BucketCount => LinearLimit + MaxExponent * SubBuckets;

    private readonly long[] _counts = new long[BucketCount];
    private long _total;
    private long _clamped;
    private long _min = long.MaxValue;
    private long _max = long.MinValue;
    private long _sum;

    public long Count => Interlocked.Read(ref _total);
    public long Clamped => Interlocked.Read(ref _clamped);
    public long Min => Count == 0 ? 0 : Interlocked.Read(ref _min);
    public long Max => Count == 0 ? 0 : Interlocked.Read(ref _max);
    public double Mean => Count == 0 ? 0 : (double)Interlocked.Read(ref _sum) / Count;

    /// <summary>Records one value (negative values count as 0).</summary>
    public void Record(long microseconds)
    {
        var value = Math.Max(0, microseconds);
        if (value > MaxValue)
        {
            Interlocked.Increment(ref _clamped);
            value = MaxValue;
        }
        Interlocked.Increment(ref _counts[IndexOf(value)]);
        Interlocked.Increment(ref _total);
        Interlocked.Add(ref _sum, value);
        UpdateMin(value);
        UpdateMax(value);
    }

    /// <summary>
    /// The value at percentile <paramref name="percentile"/> (0-100]: the highest value equivalent to the bucket holding
    /// the ceil(p/100 * count)-th smallest sample (never below the true value; at most 1.6 % above it), capped at the
    /// recorded maximum. 0 when empty.
    /// </summary>
    public long Percentile(double percentile)
    {
        if (percentile is <= 0 or > 100 || double.IsNaN(percentile))
            throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "A percentile is in (0, 100].");
        var total = Count;
        if (total == 0) return 0;
        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100.0 * total));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= rank) return Math.Min(UpperBoundOf(i), Max);
        }
        return Max;
    }

    internal static int IndexOf(long value)
    {
        if (value < LinearLimit) return (int)value;
        var bits = 64 - (int)long.LeadingZeroCount(value); // >= 8
        var exponent = bits - (SubBucketBits + 1); // value >> exponent is in [64, 127]
        var mantissa = (int)(value >> exponent);
        return LinearLimit + (exponent - 1) * SubBuckets + (mantissa - SubBuckets);
    }

    internal static long LowerBoundOf(int index)
    {
        if (index < LinearLimit) return index;
        var exponent = (index - LinearLimit) / SubBuckets + 1;
        var mantissa = (index - LinearLimit) % SubBuckets + SubBuckets;
        return (long)mantissa << exponent;
    }

    internal static long UpperBoundOf(int index)
    {
        if (index < LinearLimit) return index;
        var exponent = (index - LinearLimit) / SubBuckets + 1;
        var mantissa = (index - LinearLimit) % SubBuckets + SubBuckets;
        return ((long)(mantissa + 1) << exponent) - 1;
    }

    private void UpdateMin(long value)
    {
        var current = Interlocked.Read(ref _min);
        while (value < current)
        {
            var seen = Interlocked.CompareExchange(ref _min, value, current);
            if (seen == current) return;
            current = seen;
        }
    }

    private void UpdateMax(long value)
    {
        var current = Interlocked.Read(ref _max);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref _max, value, current);
            if (seen == current) return;
            current = seen;
        }
    }
}
