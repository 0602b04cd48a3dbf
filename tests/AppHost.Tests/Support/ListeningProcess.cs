using System.Diagnostics;
using System.Globalization;

namespace PickupAspire.AppHost.Tests.Support;

/// <summary>
/// Finds the process that listens on a local TCP port (Linux: the LISTEN sockets of /proc/net/tcp and tcp6, then
/// the process whose /proc/&lt;pid&gt;/fd holds that socket). A replica's own endpoint port leads to the service process
/// itself, not to the <c>dotnet run</c> wrapper the orchestrator started.
/// </summary>
public static class ListeningProcess
{
    public static int FindPid(int port)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("Reads /proc.");
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                if (fields.Length < 10 || fields[3] != "0A") continue;
                var local = fields[1];
                var localPort = int.Parse(local[(local.LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (localPort == port) inodes.Add($"socket:[{fields[9]}]");
            }
        }
        if (inodes.Count == 0) throw new InvalidOperationException($"Nothing listens on port {port}.");

        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries(Path.Combine(directory, "fd")))
                {
                    var target = new FileInfo(fd).LinkTarget;
                    if (target is not null && inodes.Contains(target)) return pid;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Exited meanwhile, or not ours to read.
            }
        }
        throw new InvalidOperationException($"No process holds the socket listening on port {port}.");
    }

    /// <summary>SIGKILLs the process listening on <paramref name="port"/> (no shutdown hooks run) and waits for it to exit.</summary>
    public static async Task<int> KillAsync(int port, TimeSpan timeout)
    {
        var pid = FindPid(port);
        using var process = Process.GetProcessById(pid);
        process.Kill(entireProcessTree: false);
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return pid;
    }
}
