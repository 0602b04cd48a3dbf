using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Pickup.Core.Schema;

/// <summary>
/// Versioned, locked, loud schema migrations for one component (Pickup.Core uses it for its own tables; other
/// components use it for theirs).
/// </summary>
/// <remarks>
/// <para>Applied versions are recorded in <c>&lt;historySchema&gt;.&lt;component&gt;_schema_history</c>
/// (version, name, checksum, applied_at); by default the history schema is named after the component and is created
/// when missing.</para>
/// <para>Concurrent starters (replicas, test runs) are serialised by a session-level <c>pg_advisory_lock</c> whose key
/// is derived from the component name (SHA-256, first 8 bytes), so each migration runs exactly once; each runs in its
/// own transaction together with its history row. A failing migration, an invalid list or a migration whose SQL
/// changed after it was applied throws <see cref="SchemaMigrationException"/>; nothing is swallowed. A database that
/// already has versions newer than the list knows (a rolling upgrade) is logged and accepted.</para>
/// </remarks>
public static partial class SchemaMigrator
{
    /// <summary>
    /// Creates the database named in the data source's connection string if missing (see
    /// <see cref="DatabaseBootstrapper"/>), then applies the migrations not yet applied for <paramref name="component"/>,
    /// in order, each in its own transaction, serialised across processes by an advisory lock.
    /// </summary>
    /// <param name="component">Lower-case identifier (<c>[a-z_][a-z0-9_]*</c>, at most 40 characters); names the
    /// history schema and table and derives the lock.</param>
    /// <exception cref="SchemaMigrationException">Anything went wrong; the message says what.</exception>
    public static Task MigrateAsync(NpgsqlDataSource dataSource, string component, IReadOnlyList<SchemaMigration> migrations,
        ILogger logger, CancellationToken cancellationToken) =>
        MigrateAsync(dataSource, component, component, migrations, logger, cancellationToken);

    /// <summary>As <see cref="MigrateAsync(NpgsqlDataSource, string, IReadOnlyList{SchemaMigration}, ILogger, CancellationToken)"/>,
    /// keeping the history table in <paramref name="historySchema"/> (created when missing).</summary>
    public static async Task MigrateAsync(NpgsqlDataSource dataSource, string component, string historySchema,
        IReadOnlyList<SchemaMigration> migrations, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(migrations);
        ArgumentNullException.ThrowIfNull(logger);
        ValidateIdentifier(component, nameof(component), 40);
        ValidateIdentifier(historySchema, nameof(historySchema), 63);
        ValidateMigrations(component, migrations);

        await DatabaseBootstrapper.EnsureDatabaseExistsAsync(dataSource, logger, cancellationToken);

        var schema = DatabaseBootstrapper.QuoteIdentifier(historySchema);
        var table = DatabaseBootstrapper.QuoteIdentifier(component + "_schema_history");
        string Sql(string template) => template
            .Replace("{schema}", schema, StringComparison.Ordinal)
            .Replace("{table}", table, StringComparison.Ordinal);

        var lockKey = LockKey(component);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand(SchemaSql.AdvisoryLock, connection))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lockKey });
            lockCommand.CommandTimeout = 0; // Wait for the starter that holds it, however long its migrations take.
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            await using (var create = new NpgsqlCommand(Sql(SchemaSql.CreateHistory), connection))
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            var applied = new Dictionary<int, (string Name, string Checksum)>();
            await using (var read = new NpgsqlCommand(Sql(SchemaSql.ReadHistory), connection))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    applied[reader.GetInt32(0)] = (reader.GetString(1), reader.GetString(2));
                }
            }

            foreach (var migration in migrations)
            {
                if (applied.TryGetValue(migration.Version, out var done) && done.Checksum != Checksum(migration.Sql))
                {
                    throw new SchemaMigrationException(
                        $"Migration {component} {migration.Version} '{migration.Name}' was changed after it was applied " +
                        $"(as '{done.Name}'); add a new migration instead of editing an applied one.");
                }
            }

            var known = migrations.Count == 0 ? 0 : migrations[^1].Version;
            var newest = applied.Count == 0 ? 0 : applied.Keys.Max();
            if (newest > known) SchemaLog.NewerThanKnown(logger, component, newest, known);

            var count = 0;
            foreach (var migration in migrations.Where(m => !applied.ContainsKey(m.Version)))
            {
                SchemaLog.Applying(logger, component, migration.Version, migration.Name);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                try
                {
                    await using (var apply = new NpgsqlCommand(migration.Sql, connection, transaction))
                    {
                        apply.CommandTimeout = 0;
                        await apply.ExecuteNonQueryAsync(cancellationToken);
                    }
                    await using (var record = new NpgsqlCommand(Sql(SchemaSql.InsertHistory), connection, transaction))
                    {
                        record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = migration.Version });
                        record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = migration.Name });
                        record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Checksum(migration.Sql) });
                        await record.ExecuteNonQueryAsync(cancellationToken);
                    }
                    await transaction.CommitAsync(cancellationToken);
                }
                catch (PostgresException e)
                {
                    throw new SchemaMigrationException(
                        $"Migration {component} {migration.Version} '{migration.Name}' failed and was rolled back " +
                        $"({e.SqlState}: {e.MessageText}{(e.Position > 0 ? $" at position {e.Position}" : "")}).", e);
                }
                count++;
            }

            SchemaLog.UpToDate(logger, component, Math.Max(newest, known), count);
        }
        finally
        {
            if (connection.State == System.Data.ConnectionState.Open)
            {
                await using var unlock = new NpgsqlCommand(SchemaSql.AdvisoryUnlock, connection);
                unlock.Parameters.Add(new NpgsqlParameter<long> { TypedValue = lockKey });
                // Not the caller's token: the lock must be released even when the caller gave up.
                await unlock.ExecuteNonQueryAsync(CancellationToken.None);
            }
        }
    }

    /// <summary>The advisory lock key that serialises migrations of <paramref name="component"/>.</summary>
    public static long LockKey(string component) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes("PickupAspire.SchemaMigrator:" + component)));

    internal static string Checksum(string sql) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql.ReplaceLineEndings("\n").Trim())));

    private static void ValidateIdentifier(string value, string parameter, int maxLength)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, parameter);
        if (value.Length > maxLength || !IdentifierPattern().IsMatch(value))
        {
            throw new ArgumentException(
                $"'{value}' is not a valid name: use lower-case letters, digits and '_' (not first), at most {maxLength} characters.",
                parameter);
        }
    }

    private static void ValidateMigrations(string component, IReadOnlyList<SchemaMigration> migrations)
    {
        var previous = 0;
        foreach (var migration in migrations)
        {
            if (migration is null) throw new SchemaMigrationException($"Migrations of {component} contain null.");
            if (migration.Version <= previous)
            {
                throw new SchemaMigrationException(
                    $"Migrations of {component} must have positive, strictly increasing versions; {migration.Version} " +
                    $"('{migration.Name}') follows {previous}.");
            }
            if (string.IsNullOrWhiteSpace(migration.Name) || string.IsNullOrWhiteSpace(migration.Sql))
            {
                throw new SchemaMigrationException($"Migration {component} {migration.Version} needs a name and SQL.");
            }
            previous = migration.Version;
        }
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierPattern();
}
