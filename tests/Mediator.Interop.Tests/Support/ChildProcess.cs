using System.Diagnostics;
using System.Globalization;

namespace Mediator.Interop.Tests.Support;

/// <summary>
/// An OS child process with redirected stdin/stdout/stderr: every output line goes to a <see cref="LogBuffer"/> (and to
/// an optional per-line callback). Stopping closes stdin first (the programs here exit on end of input), then kills
/// the whole process tree if it has not exited in time, and checks that nothing of the tree is left.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _stdoutDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HashSet<int> _seenDescendants = [];
    private bool _stopped;

    private ChildProcess(Process process, string name, LogBuffer log)
    {
        _process = process;
        Name = name;
        Log = log;
    }

    public string Name { get; }
    public LogBuffer Log { get; }
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Completes when the process has exited and both output streams are drained.</summary>
    public Task Exited => Task.WhenAll(_process.WaitForExitAsync(), _stdoutDone.Task, _stderrDone.Task);

    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, string workingDirectory,
        IReadOnlyDictionary<string, string?> environment, LogBuffer log, Action<string>? onStdoutLine = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment)
        {
            if (value is null) info.Environment.Remove(key);
            else info.Environment[key] = value;
        }
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, name, log);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) { child._stdoutDone.TrySetResult(); return; }
            log.Add("out", e.Data);
            onStdoutLine?.Invoke(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) { child._stderrDone.TrySetResult(); return; }
            log.Add("err", e.Data);
        };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            process.Dispose();
            throw new InvalidOperationException($"Could not start '{fileName}' for {name}: {error.Message}", error);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Remembers the current descendants (so <see cref="StopAsync"/> can check they are gone too).</summary>
    public IReadOnlyCollection<int> RecordDescendants()
    {
        foreach (var pid in ProcessTree.Descendants(_process.Id)) _seenDescendants.Add(pid);
        return _seenDescendants;
    }

    /// <summary>
    /// Closes stdin and waits up to <paramref name="grace"/> for the process to exit; then kills the tree. Throws if any
    /// process of the tree (the child or a descendant seen while it ran) is still alive afterwards.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_stopped) return;
        _stopped = true;
        if (!_process.HasExited) RecordDescendants();
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The process already closed its end.
        }
        using (var wait = new CancellationTokenSource(grace))
        {
            try
            {
                await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Log.Add("test", $"{Name} did not exit within {grace.TotalSeconds:F0} s of end of input: killing its process tree");
            }
        }
        if (!_process.HasExited)
        {
            RecordDescendants();
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        // Descendants that outlived their parent (re-parented): kill them too, then insist they are gone.
        var survivors = await ProcessTree.WaitGoneAsync(_seenDescendants, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        if (survivors.Count > 0)
        {
            foreach (var pid in survivors) ProcessTree.TryKill(pid);
            survivors = await ProcessTree.WaitGoneAsync(survivors, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            if (survivors.Count > 0)
            {
                throw new InvalidOperationException(
                    $"{Name}: processes {string.Join(", ", survivors)} of its tree are still alive after stopping it.");
            }
            throw new InvalidOperationException(
                $"{Name}: processes {string.Join(", ", _seenDescendants)} outlived their parent and had to be killed separately.");
        }
        using var drained = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await Task.WhenAll(_stdoutDone.Task, _stderrDone.Task).WaitAsync(drained.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // An orphan still holding the pipe would have been reported above; do not hang on it.
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        finally
        {
            _process.Dispose();
        }
    }
}

/// <summary>Process tree helpers over Linux /proc (the tests' platform); elsewhere they see no descendants.</summary>
internal static class ProcessTree
{
    public static IReadOnlyList<int> Descendants(int root)
    {
        if (!Directory.Exists("/proc")) return [];
        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            if (ParentOf(pid) is { } parent) parents[pid] = parent;
        }
        var result = new List<int>();
        var frontier = new Queue<int>([root]);
        while (frontier.Count > 0)
        {
            var current = frontier.Dequeue();
            foreach (var (pid, parent) in parents)
            {
                if (parent != current || result.Contains(pid)) continue;
                result.Add(pid);
                frontier.Enqueue(pid);
            }
        }
        return result;
    }

    /// <summary>True while the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state != "Z" && state != "X";
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static async Task<IReadOnlyCollection<int>> WaitGoneAsync(IEnumerable<int> pids, TimeSpan timeout)
    {
        var remaining = pids.ToList();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            remaining.RemoveAll(pid => !IsAlive(pid));
            if (remaining.Count == 0 || DateTime.UtcNow >= deadline) return remaining;
            await Task.Delay(50).ConfigureAwait(false); // polling /proc: there is no exit event for a non-child
        }
    }

    public static void TryKill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }
        catch (ArgumentException) { }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        catch (FormatException) { return null; }
    }
}
