using System.ComponentModel;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace PickupAspire.TestSupport;

/// <summary>What a finished child process printed.</summary>
public sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>
/// Runs the Node.js side of the interop tests (node, npm) as child processes, and serialises <c>npm ci</c> in one package
/// folder across test processes, so every test project drives Node the same way.
/// </summary>
public static class NodeTool
{
    /// <summary>
    /// Runs <paramref name="program"/> in <paramref name="workingDirectory"/>, writes <paramref name="input"/> (if any) to
    /// its standard input and closes it, and returns its exit code and output. A program that cannot be started fails
    /// with a message naming <paramref name="neededBy"/>; one still running when <paramref name="cancellationToken"/>
    /// fires is killed and reported as a timeout.
    /// </summary>
    public static async Task<ToolResult> RunAsync(string workingDirectory, string program, IEnumerable<string> arguments,
        string? input, string neededBy, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{program}'.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException(
                $"{neededBy} need Node.js 20 or later with npm on PATH ('{program}' could not be started: {e.Message}). " +
                "Install Node.js (Debian: apt-get install nodejs npm) and run the tests again.", e);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            if (input is not null) await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
            try
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"'{program} {string.Join(' ', start.ArgumentList)}' did not finish in time.");
            }
            return new ToolResult(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
        }
    }

    /// <summary>
    /// An exclusive lock file per package folder (FileShare.None is an advisory flock on Unix), polled until free, so that
    /// two test processes never run <c>npm ci</c> in one folder at once. Dispose it to release.
    /// </summary>
    public static async Task<FileStream> AcquireInstallLockAsync(string packageDirectory, CancellationToken cancellationToken)
    {
        var name = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(packageDirectory)))[..16];
        var path = Path.Combine(Path.GetTempPath(), $"pickupaspire-npm-install-{name}.lock");
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"Another process kept {path} (npm ci in {packageDirectory}) too long.");
                }
            }
        }
    }
}
