using System.Diagnostics;
using System.Globalization;

namespace LoadGenerator;

/// <summary>What a finished command-line tool printed.</summary>
internal sealed record ToolOutput(int ExitCode, string Output, string Error);

/// <summary>
/// Runs a command-line tool to its end with its output captured: pgbench, <c>dotnet publish</c> of the native replica,
/// and, in the tests, a replica expected to stop by itself. Long-running children (PostgreSQL, the replicas of a run)
/// are started by their owners instead.
/// </summary>
internal static class ToolProcess
{
    /// <summary>Starts <paramref name="start"/> (its output redirected here) and waits for it to exit.</summary>
    /// <exception cref="TimeoutException">Still running after <paramref name="timeout"/>: killed with its children.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired: killed with its children.</exception>
    public static async Task<ToolOutput> RunAsync(ProcessStartInfo start, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                $"{Path.GetFileName(start.FileName)} did not finish within {timeout.TotalSeconds:0} s."));
        }
        return new ToolOutput(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }
}
