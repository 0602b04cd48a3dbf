using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace PickupAspire.AppHost.Postgres;

internal static class LocalPostgresExtensions
{
    /// <summary>
    /// Runs the machine's PostgreSQL binaries as two executables: <c>{serverName}-init</c> (initdb on a fresh per-run data
    /// directory, runs to completion) and <c>{serverName}</c> (the server on a loopback port DCP picks), and returns the
    /// database resource, which this method creates and marks Running once the server is ready.
    /// </summary>
    public static IResourceBuilder<LocalPostgresDatabaseResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string serverName, string databaseName)
    {
        var options = LocalPostgresOptions.From(builder.Configuration);
        var bin = options.ResolveBinDirectory();
        // initdb and postgres refuse to run as root: as root, they run as the postgres user.
        var asRoot = Environment.IsPrivilegedProcess;
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var run = LocalPostgresRunDirectory.Create(options.ResolveDataRoot(), password, asRoot);

        var init = builder.AddResource(new ExecutableResource($"{serverName}-init", Command(asRoot, bin, "initdb"), run.Path))
            .WithArgs(Arguments(asRoot, bin, "initdb",
                "-D", run.DataDirectory, "-U", LocalPostgresServerResource.UserName,
                "--auth=scram-sha-256", $"--pwfile={run.PasswordFile}",
                "-E", "UTF8", "--locale=C", "--no-instructions"))
            .WithArgs(context =>
            {
                if (!options.Durable) context.Args.Add("--no-sync");
            })
            .ExcludeFromManifest();

        var server = new LocalPostgresServerResource(serverName, Command(asRoot, bin, "postgres"), run.Path, password);
        var serverHealthCheck = $"{serverName}_ready";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            serverHealthCheck, _ => new PostgresReadyHealthCheck(server), HealthStatus.Unhealthy, tags: null));

        var database = new LocalPostgresDatabaseResource(databaseName, databaseName, server);
        var databaseHealthCheck = $"{databaseName}_ready";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            databaseHealthCheck, _ => new PostgresReadyHealthCheck(database), HealthStatus.Unhealthy, tags: null));

        builder.AddResource(server)
            .WithArgs(Arguments(asRoot, bin, "postgres", "-D", run.DataDirectory))
            .WithArgs(ServerSettings(options.Durable))
            // The port is DCP's choice; postgres reads it from PGPORT.
            .WithEndpoint(name: LocalPostgresServerResource.EndpointName, scheme: "tcp", env: "PGPORT", isProxied: false)
            .WaitForCompletion(init)
            .WithHealthCheck(serverHealthCheck)
            .OnResourceReady(async (_, @event, cancellationToken) =>
            {
                // initdb has long read it: from now on the password lives only in this process and the consumers'
                // connection strings.
                run.DeletePasswordFile();
                await CreateDatabaseAsync(server, database, cancellationToken).ConfigureAwait(false);
                // The orchestrator propagates state only from containers to their children: an executable's child
                // stays without a state (and its dependents wait forever) unless we set it.
                var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
                await notifications.PublishUpdateAsync(database, snapshot => snapshot with
                {
                    State = KnownResourceStates.Running,
                    StartTimeStamp = DateTime.UtcNow,
                }).ConfigureAwait(false);
            })
            .ExcludeFromManifest();

        // Remove this run's data directory when the AppHost stops (after DCP stopped the server: see appsettings.json,
        // DcpPublisher:WaitForResourceCleanup); a run that could not is removed by the next one.
        builder.Eventing.Subscribe<BeforeStartEvent>((@event, _) =>
        {
            var lifetime = @event.Services.GetRequiredService<IHostApplicationLifetime>();
            lifetime.ApplicationStopped.Register(() => run.Remove(TimeSpan.FromSeconds(10)));
            var logger = @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger(PostgresLog.Category);
            PostgresLog.LocalServer(logger, bin, run.Path, options.Durable ? "durable" : "fsync off, throw-away");
            return Task.CompletedTask;
        });

        return builder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [new("DatabaseName", databaseName)],
            })
            .WithHealthCheck(databaseHealthCheck)
            .ExcludeFromManifest();
    }

    private static string Command(bool asRoot, string bin, string program) =>
        asRoot ? "setpriv" : Path.Combine(bin, program);

    private static string[] Arguments(bool asRoot, string bin, string program, params string[] arguments) =>
        asRoot
            ? ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", Path.Combine(bin, program), .. arguments]
            : arguments;

    private static string[] ServerSettings(bool durable)
    {
        string[] common =
        [
            "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_directories=",
            "-c", "max_connections=300",
            "-c", "shared_buffers=256MB",
            "-c", "max_wal_size=1GB",
        ];
        string[] durability = durable
            ? ["-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on"]
            : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"];
        return [.. common, .. durability];
    }

    private static async Task CreateDatabaseAsync(
        LocalPostgresServerResource server, LocalPostgresDatabaseResource database, CancellationToken cancellationToken)
    {
        var connectionString = await server.ConnectionStringExpression.GetValueAsync(cancellationToken).ConfigureAwait(false);
        var admin = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection);
        exists.Parameters.Add(new NpgsqlParameter { Value = database.DatabaseName });
        if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null) return;

        // An identifier cannot be a parameter: quote it (the name comes from the AppHost's code, not from input).
        var quoted = "\"" + database.DatabaseName.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
        await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
