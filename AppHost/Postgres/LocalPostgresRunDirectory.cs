using System.Diagnostics;
using System.Globalization;

namespace PickupAspire.AppHost.Postgres;

/// <summary>
/// One run's directory under the data root: <c>owner.pid</c> (the AppHost's process id), <c>data/</c> (the cluster),
/// and briefly <c>pwfile</c> for initdb. Runs whose owner has exited are removed (with any server they left running),
/// so earlier or crashed runs never pile up and parallel runs (tests) never share a data directory.
/// </summary>
internal sealed class LocalPostgresRunDirectory
{
    private const string OwnerFileName = "owner.pid";

    private LocalPostgresRunDirectory(string path) => Path = path;

    public string Path { get; }

    public string DataDirectory => System.IO.Path.Combine(Path, "data");

    public string PasswordFile => System.IO.Path.Combine(Path, "pwfile");

    /// <summary>Creates a fresh run directory (owned by <c>postgres</c> when we are root) holding the password file.</summary>
    public static LocalPostgresRunDirectory Create(string dataRoot, string password, bool asRoot)
    {
        Directory.CreateDirectory(dataRoot);
        RemoveStaleRuns(dataRoot);

        var run = new LocalPostgresRunDirectory(System.IO.Path.Combine(
            dataRoot, $"{Environment.ProcessId}-{Guid.NewGuid():N}"[..20]));
        Directory.CreateDirectory(run.Path);
        File.WriteAllText(System.IO.Path.Combine(run.Path, OwnerFileName), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        File.WriteAllText(run.PasswordFile, password);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(run.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(run.PasswordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        if (asRoot) Run("chown", "-R", "postgres:postgres", run.Path);
        return run;
    }

    public void DeletePasswordFile() => File.Delete(PasswordFile);

    /// <summary>Removes this run's directory once its server has stopped (waits up to <paramref name="timeout"/>).</summary>
    public void Remove(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (ServerPid(Path) is { } pid && IsAlive(pid) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
        }
        StopServer(Path);
        TryDelete(Path);
    }

    private static void RemoveStaleRuns(string dataRoot)
    {
        foreach (var run in Directory.GetDirectories(dataRoot))
        {
            var ownerFile = System.IO.Path.Combine(run, OwnerFileName);
            if (File.Exists(ownerFile)
                && int.TryParse(File.ReadAllText(ownerFile), CultureInfo.InvariantCulture, out var owner)
                && IsAlive(owner))
            {
                continue;
            }
            StopServer(run);
            TryDelete(run);
        }
    }

    /// <summary>Kills a server still running on the run's data directory (its backends exit when the postmaster dies).</summary>
    private static void StopServer(string run)
    {
        if (ServerPid(run) is not { } pid) return;
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.ProcessName == "postgres") process.Kill(entireProcessTree: true);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static int? ServerPid(string run)
    {
        var postmaster = System.IO.Path.Combine(run, "data", "postmaster.pid");
        try
        {
            return File.Exists(postmaster)
                && int.TryParse(File.ReadLines(postmaster).FirstOrDefault(), CultureInfo.InvariantCulture, out var pid)
                ? pid
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
            // Something still holds it; the next run removes it.
        }
        catch (UnauthorizedAccessException)
        {
            // Not ours to remove (another user's run); leave it.
        }
    }

    private static void Run(string program, params string[] arguments)
    {
        using var process = Process.Start(program, arguments);
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}.");
        }
    }
}
