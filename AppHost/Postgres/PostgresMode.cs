using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace PickupAspire.AppHost.Postgres;

/// <summary>Where the AppHost's PostgreSQL comes from (configuration key <c>Postgres:Mode</c>).</summary>
public enum PostgresMode
{
    /// <summary>External when <c>ConnectionStrings:pickup</c> is set, else a container when a container runtime answers, else local.</summary>
    Auto,

    /// <summary>The Aspire.Hosting.PostgreSQL container (always used when publishing).</summary>
    Container,

    /// <summary>The machine's own PostgreSQL binaries, run by Aspire as executables on a fresh data directory.</summary>
    Local,

    /// <summary>An existing server given by <c>ConnectionStrings:pickup</c>.</summary>
    External,
}

internal static class PostgresModeResolver
{
    public const string ModeKey = "Postgres:Mode";

    /// <summary>Turns the configured mode into a concrete one (never <see cref="PostgresMode.Auto"/>).</summary>
    public static PostgresMode Resolve(IDistributedApplicationBuilder builder, string connectionName)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            // A deployment gets the container; where it runs is the cloud side's business.
            return PostgresMode.Container;
        }

        var configured = builder.Configuration[ModeKey];
        var mode = PostgresMode.Auto;
        if (!string.IsNullOrWhiteSpace(configured) && !Enum.TryParse(configured.Trim(), ignoreCase: true, out mode))
        {
            throw new InvalidOperationException(
                $"{ModeKey} is '{configured}'; expected one of: auto, container, local, external.");
        }

        var connectionString = builder.Configuration.GetConnectionString(connectionName);
        return mode switch
        {
            PostgresMode.External when string.IsNullOrWhiteSpace(connectionString) => throw new InvalidOperationException(
                $"{ModeKey} is external but ConnectionStrings:{connectionName} is not set " +
                $"(set the environment variable ConnectionStrings__{connectionName})."),
            PostgresMode.Auto when !string.IsNullOrWhiteSpace(connectionString) => PostgresMode.External,
            PostgresMode.Auto when ContainerRuntimeAnswers(builder) => PostgresMode.Container,
            PostgresMode.Auto => PostgresMode.Local,
            _ => mode,
        };
    }

    /// <summary>True when <c>docker info</c> (or the configured runtime's) succeeds within a few seconds.</summary>
    public static bool ContainerRuntimeAnswers(IDistributedApplicationBuilder builder)
    {
        var runtime = builder.Configuration["ASPIRE_CONTAINER_RUNTIME"]
            ?? builder.Configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"]
            ?? "docker";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(runtime, "info")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null) return false;
            // Drain the pipes so a chatty runtime cannot block on a full one.
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (process.WaitForExit(TimeSpan.FromSeconds(5))) return process.ExitCode == 0;
            process.Kill(entireProcessTree: true);
            return false;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Not installed.
            return false;
        }
    }
}
