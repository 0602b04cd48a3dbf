using System.Globalization;

namespace PickupAspire.AppHost.Tests;

/// <summary>
/// The processes an AppHost run started (Linux, from /proc): its orchestrator DCP (which monitors this process) and
/// everything below it: the local PostgreSQL, the <c>dotnet run</c> wrappers and the services themselves.
/// </summary>
internal sealed class LeftoverProcesses
{
    private readonly List<(int Pid, string CommandLine)> _processes;

    private LeftoverProcesses(List<(int Pid, string CommandLine)> processes) => _processes = processes;

    public int Count => _processes.Count;

    /// <summary>Records DCP (started for this test process) and all its descendants as they are now.</summary>
    public static LeftoverProcesses RecordRunOf(int appHostProcessId)
    {
        var all = Snapshot();
        var monitor = $"--monitor {appHostProcessId.ToString(CultureInfo.InvariantCulture)} ";
        var run = all.Where(p => p.CommandLine.Contains("/dcp ", StringComparison.Ordinal) && p.CommandLine.Contains(monitor, StringComparison.Ordinal))
            .ToList();
        for (var added = run.Count; added > 0;)
        {
            var parents = run.Select(p => p.Pid).ToHashSet();
            var children = all.Where(p => parents.Contains(p.ParentPid) && run.All(r => r.Pid != p.Pid)).ToList();
            run.AddRange(children);
            added = children.Count;
        }
        return new LeftoverProcesses(run.Select(p => (p.Pid, p.CommandLine)).ToList());
    }

    /// <summary>Waits until none of the recorded processes lives on; returns those still alive after <paramref name="timeout"/>.</summary>
    public async Task<List<string>> WaitUntilGoneAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var alive = Snapshot().Select(p => (p.Pid, p.CommandLine)).Intersect(_processes).Select(p => $"{p.Pid}: {p.CommandLine}").ToList();
            if (alive.Count == 0 || DateTime.UtcNow >= deadline) return alive;
            await Task.Delay(200);
        }
    }

    private static List<(int Pid, int ParentPid, string CommandLine)> Snapshot()
    {
        var processes = new List<(int, int, string)>();
        if (!OperatingSystem.IsLinux()) return processes;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ').Trim();
                // stat: "pid (comm) state ppid ...": comm may hold spaces, so read after the last ')'.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                processes.Add((pid, int.Parse(fields[1], CultureInfo.InvariantCulture), commandLine));
            }
            catch (IOException)
            {
                // Exited meanwhile.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return processes;
    }
}
