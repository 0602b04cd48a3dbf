using Microsoft.Extensions.Logging;
using Npgsql;
using Pickup.Core.Schema;

namespace Mediator.Api.State;

/// <summary>The versioned migrations of schema <c>mediator</c>, applied by Pickup.Core's migrator (advisory-locked).</summary>
public static class MediatorStateSchema
{
    public static IReadOnlyList<SchemaMigration> Migrations { get; } =
    [
        new(1, "mediator state: identity, connections, mediations, keylist (with change notifications), device info",
            MediatorSql.Migration1Schema),
    ];

    public static Task MigrateAsync(NpgsqlDataSource dataSource, ILogger logger, CancellationToken cancellationToken) =>
        SchemaMigrator.MigrateAsync(dataSource, MediatorSql.Component, Migrations, logger, cancellationToken);
}
