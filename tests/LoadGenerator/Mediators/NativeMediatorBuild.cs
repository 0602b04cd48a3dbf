using System.Diagnostics;

namespace LoadGenerator.Mediators;

/// <summary>
/// Mediator.Api published as native AOT, the executable a replica is deployed as (README: <c>dotnet publish Mediator.Api
/// -c Release -r linux-x64</c>). The load generator's <c>--native</c> measures it; the tests publish it once per run.
/// </summary>
public static class NativeMediatorBuild
{
    /// <summary>The repository root (the directory holding PickupAspire.sln) above <paramref name="start"/>.</summary>
    public static string FindRepositoryRoot(string start)
    {
        var dir = new DirectoryInfo(start);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PickupAspire.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"Cannot find the repository root (PickupAspire.sln) above {start}.");
    }

    /// <summary>
    /// Runs <c>dotnet publish Mediator.Api -c Release -r linux-x64 -o <paramref name="outputDirectory"/></c> (incremental:
    /// a second call with nothing changed takes seconds, the first one 1-4 minutes on two cores) and returns the executable.
    /// </summary>
    /// <exception cref="InvalidOperationException">The publish failed; the message holds its output.</exception>
    public static async Task<string> PublishAsync(string repositoryRoot, string outputDirectory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = repositoryRoot };
        foreach (var argument in new[] { "publish", Path.Combine(repositoryRoot, "Mediator.Api", "Mediator.Api.csproj"),
                     "-c", "Release", "-r", "linux-x64", "-o", outputDirectory, "-nologo" })
            start.ArgumentList.Add(argument);
        var (exitCode, output, error) = await ToolProcess.RunAsync(start, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        var executable = Path.Combine(outputDirectory, "Mediator.Api");
        if (exitCode != 0 || !File.Exists(executable))
            throw new InvalidOperationException($"dotnet publish Mediator.Api -r linux-x64 (native AOT) failed ({exitCode}):\n{output}\n{error}");
        return executable;
    }
}
