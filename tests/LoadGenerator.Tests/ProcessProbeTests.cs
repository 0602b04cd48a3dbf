using System.Diagnostics;
using LoadGenerator.Probes;

namespace LoadGenerator.Tests;

public class ProcessProbeTests
{
    [Fact]
    public void Cpu_ticks_are_utime_plus_stime_even_with_spaces_and_parentheses_in_the_name()
    {
        const string stat = "4242 (Mediator.Api (x) y) S 1 4242 4242 0 -1 4194560 20497 0 12 0 1234 567 0 0 20 0 23 0 4886 3307601920 32000 18446744073709551615 1 1 0 0 0 0 0 4096 17642 0 0 0 17 1 0 0 0 0 0";
        Assert.Equal(1234 + 567, ProcessProbe.ParseCpuTicks(stat));
    }

    [Theory]
    [InlineData("")]
    [InlineData("4242 (name) S 1 2 3")]
    [InlineData("no parentheses at all 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15")]
    public void A_malformed_stat_line_is_a_format_exception(string stat) =>
        Assert.Throws<FormatException>(() => ProcessProbe.ParseCpuTicks(stat));

    [Fact]
    public void Memory_is_read_from_VmRSS_and_VmHWM()
    {
        const string status = "Name:\tdotnet\nVmPeak:\t 3300000 kB\nVmHWM:\t  150000 kB\nVmRSS:\t  120000 kB\nThreads:\t23\n";
        Assert.Equal((120000L, 150000L), ProcessProbe.ParseMemory(status));
        Assert.Throws<FormatException>(() => ProcessProbe.ParseMemory("Name:\tkworker\nThreads:\t1\n"));
    }

    [Fact]
    public void Sampling_this_process_sees_its_memory_and_its_cpu_time_grow()
    {
        Assert.True(OperatingSystem.IsLinux(), "the probes read /proc");
        var before = ProcessProbe.TrySample(Environment.ProcessId);
        Assert.NotNull(before);
        Assert.True(before.RssKilobytes > 1000, $"RSS {before.RssKilobytes} kB");
        Assert.True(before.PeakRssKilobytes >= before.RssKilobytes);
        // Burn CPU until the kernel has counted at least 50 ms more (several clock ticks); at most 10 s on a busy machine.
        var clock = Stopwatch.StartNew();
        var x = 0.0;
        ProcessSample? after = before;
        while (clock.Elapsed < TimeSpan.FromSeconds(10) && after is not null && after.CpuMilliseconds - before.CpuMilliseconds < 50)
        {
            for (var i = 0; i < 100_000; i++) x += Math.Sqrt(i);
            after = ProcessProbe.TrySample(Environment.ProcessId);
        }
        Assert.True(x > 0);
        Assert.NotNull(after);
        Assert.True(after.CpuMilliseconds - before.CpuMilliseconds >= 50, $"CPU {before.CpuMilliseconds} -> {after.CpuMilliseconds} ms in {clock.Elapsed}");
    }

    [Fact]
    public void A_process_that_does_not_exist_gives_no_sample() =>
        Assert.Null(ProcessProbe.TrySample(int.MaxValue));

    [Fact]
    public void Finds_a_process_by_its_command_line()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "30.123") { UseShellExecute = false })!;
        try
        {
            Assert.Contains(sleeper.Id, ProcessProbe.FindProcesses("sleep 30.123"));
        }
        finally
        {
            sleeper.Kill();
            sleeper.WaitForExit(5000);
        }
    }

    [Fact]
    public async Task The_monitor_keeps_the_highest_rss_it_saw()
    {
        await using var monitor = new ProcessMonitor([Environment.ProcessId], TimeSpan.FromMilliseconds(20));
        var first = monitor.Sample();
        var peaks = monitor.PeakRssKilobytes();
        Assert.True(peaks[Environment.ProcessId] >= first[Environment.ProcessId].RssKilobytes);
        Assert.Equal(0, ProcessMonitor.CpuBetween(first, new Dictionary<int, ProcessSample>()));
    }
}

public class ProcessTreeTests
{
    [Fact]
    public void Parent_pid_is_field_four()
    {
        Assert.Equal(77, ProcessProbe.ParseParentPid("4242 (a) b) c) S 77 4242 4242 0 -1"));
        Assert.Throws<FormatException>(() => ProcessProbe.ParseParentPid("4242 no parenthesis"));
    }

    [Fact]
    public async Task Tree_cpu_includes_the_children()
    {
        // This process's children: none that burn CPU, so the tree is at least this process's own time.
        var own = ProcessProbe.TrySample(Environment.ProcessId)!.CpuMilliseconds;
        Assert.True(ProcessProbe.TreeCpuMilliseconds(Environment.ProcessId) >= own);
        using var child = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sh", ["-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 5"]) { UseShellExecute = false })!;
        try
        {
            // Wait (bounded) until the child has used some CPU, then the tree must count it.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(20) && (ProcessProbe.TrySample(child.Id)?.CpuMilliseconds ?? 0) < 20)
                await Task.Delay(50);
            var childCpu = ProcessProbe.TrySample(child.Id)!.CpuMilliseconds;
            Assert.True(childCpu >= 20, $"child used {childCpu} ms");
            // CPU times only grow: this process's own sampled before the tree, so a busy test process cannot outrun it.
            var ownNow = ProcessProbe.TrySample(Environment.ProcessId)!.CpuMilliseconds;
            Assert.True(ProcessProbe.TreeCpuMilliseconds(Environment.ProcessId) >= ownNow + childCpu - 1);
        }
        finally
        {
            child.Kill();
            child.WaitForExit(5000);
        }
    }
}
