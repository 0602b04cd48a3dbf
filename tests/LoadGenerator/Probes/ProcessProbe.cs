using System.Globalization;

namespace LoadGenerator.Probes;

/// <summary>CPU time and memory of one process, read from <c>/proc/&lt;pid&gt;/stat</c> and <c>/proc/&lt;pid&gt;/status</c>.</summary>
public sealed record ProcessSample(int Pid, double CpuMilliseconds, long RssKilobytes, long PeakRssKilobytes);

/// <summary>Reads Linux process figures; the parsers are separate so that they can be tested on fixed text.</summary>
public static class ProcessProbe
{
    private static readonly Lazy<long> TicksPerSecond = new(ReadClockTicks);

    /// <summary>The kernel's clock ticks per second (<c>getconf CLK_TCK</c>; 100 when that cannot be asked).</summary>
    public static long ClockTicksPerSecond => TicksPerSecond.Value;

    /// <summary>Samples a live process; null when it is gone (or this is not Linux).</summary>
    public static ProcessSample? TrySample(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var status = File.ReadAllText($"/proc/{pid}/status");
            var ticks = ParseCpuTicks(stat);
            var (rss, peak) = ParseMemory(status);
            return new ProcessSample(pid, ticks * 1000.0 / ClockTicksPerSecond, rss, peak);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>utime + stime (fields 14 and 15) in clock ticks from the text of <c>/proc/&lt;pid&gt;/stat</c>.</summary>
    /// <exception cref="FormatException">Not a stat line.</exception>
    public static long ParseCpuTicks(string stat)
    {
        ArgumentNullException.ThrowIfNull(stat);
        // The command name (field 2) is in parentheses and may contain spaces and ')': fields restart after the last ')'.
        var close = stat.LastIndexOf(')');
        if (close < 0) throw new FormatException("Not a /proc/<pid>/stat line: no ')' after the command name.");
        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state): utime (14) is fields[11], stime (15) fields[12].
        if (fields.Length < 13) throw new FormatException($"Not a /proc/<pid>/stat line: {fields.Length + 2} fields.");
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    /// <summary>VmRSS and VmHWM (peak RSS) in kB from the text of <c>/proc/&lt;pid&gt;/status</c>.</summary>
    /// <exception cref="FormatException">VmRSS is missing (a kernel thread or a zombie).</exception>
    public static (long RssKilobytes, long PeakRssKilobytes) ParseMemory(string status)
    {
        ArgumentNullException.ThrowIfNull(status);
        long? rss = null, peak = null;
        foreach (var line in status.Split('\n'))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = ParseKilobytes(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = ParseKilobytes(line);
        }
        if (rss is null) throw new FormatException("No VmRSS line in /proc/<pid>/status.");
        return (rss.Value, peak ?? rss.Value);
    }

    /// <summary>
    /// Processes whose command line mentions <paramref name="needle"/> (e.g. <c>Mediator.Api</c>), other than this
    /// process. Used when the generator targets mediators it did not start.
    /// </summary>
    public static IReadOnlyList<int> FindProcesses(string needle)
    {
        var found = new List<int>();
        if (!Directory.Exists("/proc")) return found;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (pid == Environment.ProcessId) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(needle, StringComparison.Ordinal) && !cmdline.Contains("LoadGenerator", StringComparison.Ordinal))
                    found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }
        return found;
    }

    /// <summary>The parent pid (field 4) from the text of <c>/proc/&lt;pid&gt;/stat</c>.</summary>
    public static int ParseParentPid(string stat)
    {
        var close = stat.LastIndexOf(')');
        if (close < 0) throw new FormatException("Not a /proc/<pid>/stat line: no ')' after the command name.");
        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 2) throw new FormatException("Not a /proc/<pid>/stat line: no parent pid.");
        return int.Parse(fields[1], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// CPU milliseconds of a process and its live children (e.g. a postmaster and its backends; a backend that exited
    /// meanwhile is not counted, so take the difference of two calls over a phase with pooled connections).
    /// </summary>
    public static double TreeCpuMilliseconds(int rootPid)
    {
        double total = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (pid == rootPid || ParseParentPid(stat) == rootPid) total += ParseCpuTicks(stat) * 1000.0 / ClockTicksPerSecond;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
            }
        }
        return total;
    }

    private static long ParseKilobytes(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2) throw new FormatException($"Malformed status line '{line}'.");
        return long.Parse(parts[1], CultureInfo.InvariantCulture);
    }

    private static long ReadClockTicks()
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("getconf", "CLK_TCK")
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            });
            if (process is null) return 100;
            var text = process.StandardOutput.ReadToEnd();
            process.WaitForExit(5000);
            return long.TryParse(text.Trim(), CultureInfo.InvariantCulture, out var ticks) && ticks > 0 ? ticks : 100;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return 100;
        }
    }
}

/// <summary>
/// Follows a set of processes during a run: CPU at marks (phase boundaries) and the highest RSS seen by periodic
/// sampling (plus the kernel's own VmHWM).
/// </summary>
public sealed class ProcessMonitor : IAsyncDisposable
{
    private readonly IReadOnlyList<int> _pids;
    private readonly Dictionary<int, long> _peakRss = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ProcessMonitor(IReadOnlyList<int> pids, TimeSpan interval)
    {
        _pids = pids;
        _loop = Task.Run(() => SampleLoopAsync(interval, _stop.Token));
    }

    public IReadOnlyList<int> Pids => _pids;

    /// <summary>Current CPU milliseconds per pid (missing pids are left out).</summary>
    public IReadOnlyDictionary<int, ProcessSample> Sample()
    {
        var samples = new Dictionary<int, ProcessSample>();
        foreach (var pid in _pids)
        {
            if (ProcessProbe.TrySample(pid) is { } s)
            {
                samples[pid] = s;
                Observe(s);
            }
        }
        return samples;
    }

    /// <summary>The highest RSS sampled (or VmHWM, if higher) per pid, kB.</summary>
    public IReadOnlyDictionary<int, long> PeakRssKilobytes()
    {
        Sample();
        lock (_lock) return new Dictionary<int, long>(_peakRss);
    }

    /// <summary>Sum of CPU ms of all pids between two samples.</summary>
    public static double CpuBetween(IReadOnlyDictionary<int, ProcessSample> before, IReadOnlyDictionary<int, ProcessSample> after) =>
        after.Sum(a => before.TryGetValue(a.Key, out var b) ? a.Value.CpuMilliseconds - b.CpuMilliseconds : 0);

    private void Observe(ProcessSample sample)
    {
        lock (_lock)
        {
            var peak = Math.Max(sample.RssKilobytes, sample.PeakRssKilobytes);
            _peakRss[sample.Pid] = _peakRss.TryGetValue(sample.Pid, out var old) ? Math.Max(old, peak) : peak;
        }
    }

    private async Task SampleLoopAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false)) Sample();
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
