using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Mediator.Api.State;

/// <summary>
/// At start, before the host serves anything: migrates schema <c>mediator</c> (serialised across replicas by the
/// migrator's advisory lock) and loads the mediator identity. A failure stops the start, loudly.
/// </summary>
internal sealed class MediatorStateInitializer(
    NpgsqlDataSource dataSource,
    MediatorIdentityStore identity,
    ILogger<MediatorStateInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await MediatorStateSchema.MigrateAsync(dataSource, logger, cancellationToken).ConfigureAwait(false);
        MediatorStateLog.SchemaReady(logger);
        await identity.GetAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
