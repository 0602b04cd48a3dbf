using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Pickup.Core.Schema;
using PickupAspire.TestSupport;

namespace Pickup.Core.Tests.Schema;

public class SchemaMigratorTests
{
    // CREATE TABLE without IF NOT EXISTS: running a migration twice would fail, so success proves it ran once.
    private static readonly SchemaMigration[] Migrations =
    [
        new(1, "widgets", "CREATE SCHEMA IF NOT EXISTS demo; CREATE TABLE demo.widgets (id bigint PRIMARY KEY);"),
        new(2, "widget name", "ALTER TABLE demo.widgets ADD COLUMN name text NOT NULL DEFAULT '';"),
        new(3, "seed", "INSERT INTO demo.widgets (id, name) VALUES (1, 'one');"),
    ];

    [Fact]
    public async Task Three_concurrent_initialisers_on_an_empty_server_create_the_database_and_apply_each_migration_once()
    {
        var server = await PostgresServer.GetSharedAsync();
        var connectionString = server.DatabaseConnectionString(PostgresServer.UniqueName("migr"));
        var sources = Enumerable.Range(0, 3).Select(_ => NpgsqlDataSource.Create(connectionString)).ToArray();
        try
        {
            await Task.WhenAll(sources.Select(s => Task.Run(() =>
                SchemaMigrator.MigrateAsync(s, "demo", Migrations, NullLogger.Instance, CancellationToken.None))));

            await using var connection = await sources[0].OpenConnectionAsync();
            await using var history = new NpgsqlCommand("SELECT array_agg(version ORDER BY version) FROM demo.demo_schema_history", connection);
            var versions = (int[])(await history.ExecuteScalarAsync())!;
            Assert.Equal(new[] { 1, 2, 3 }, versions);
            await using var rows = new NpgsqlCommand("SELECT count(*) FROM demo.widgets", connection);
            Assert.Equal(1L, await rows.ExecuteScalarAsync());

            // A later start with the same list is a no-op; one with an extra migration applies only that one.
            await SchemaMigrator.MigrateAsync(sources[1], "demo", Migrations, NullLogger.Instance, CancellationToken.None);
            SchemaMigration[] more = [.. Migrations, new(4, "more", "INSERT INTO demo.widgets (id, name) VALUES (2, 'two');")];
            await SchemaMigrator.MigrateAsync(sources[2], "demo", more, NullLogger.Instance, CancellationToken.None);
            Assert.Equal(2L, await rows.ExecuteScalarAsync());
        }
        finally
        {
            foreach (var s in sources) await s.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_failing_migration_throws_with_its_name_and_records_nothing()
    {
        var server = await PostgresServer.GetSharedAsync();
        await using var source = NpgsqlDataSource.Create(await server.CreateDatabaseAsync("migr"));
        SchemaMigration[] broken = [Migrations[0], new(2, "broken", "ALTER TABLE demo.widgets ADD COLUMN oops nosuchtype;")];

        var error = await Assert.ThrowsAsync<SchemaMigrationException>(() =>
            SchemaMigrator.MigrateAsync(source, "demo", broken, NullLogger.Instance, CancellationToken.None));
        Assert.Contains("demo 2 'broken'", error.Message);

        await using var connection = await source.OpenConnectionAsync();
        await using var history = new NpgsqlCommand("SELECT array_agg(version) FROM demo.demo_schema_history", connection);
        var versions = (int[])(await history.ExecuteScalarAsync())!;
        Assert.Equal(new[] { 1 }, versions);

        // The lock was released: a corrected list applies.
        SchemaMigration[] fixedList = [Migrations[0], new(2, "fixed", "ALTER TABLE demo.widgets ADD COLUMN ok int;")];
        await SchemaMigrator.MigrateAsync(source, "demo", fixedList, NullLogger.Instance, CancellationToken.None);
        versions = (int[])(await history.ExecuteScalarAsync())!;
        Assert.Equal(new[] { 1, 2 }, versions);
    }

    [Fact]
    public async Task An_applied_migration_that_was_edited_is_refused()
    {
        var server = await PostgresServer.GetSharedAsync();
        await using var source = NpgsqlDataSource.Create(await server.CreateDatabaseAsync("migr"));
        await SchemaMigrator.MigrateAsync(source, "demo", Migrations[..1], NullLogger.Instance, CancellationToken.None);

        SchemaMigration[] edited = [Migrations[0] with { Sql = Migrations[0].Sql + " SELECT 1;" }];
        var error = await Assert.ThrowsAsync<SchemaMigrationException>(() =>
            SchemaMigrator.MigrateAsync(source, "demo", edited, NullLogger.Instance, CancellationToken.None));
        Assert.Contains("changed after it was applied", error.Message);
    }

    [Fact]
    public async Task Invalid_lists_and_names_are_rejected_before_touching_the_database()
    {
        await using var source = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Database=never");
        SchemaMigration[] unordered = [new(2, "b", "SELECT 1"), new(1, "a", "SELECT 1")];
        await Assert.ThrowsAsync<SchemaMigrationException>(() =>
            SchemaMigrator.MigrateAsync(source, "demo", unordered, NullLogger.Instance, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            SchemaMigrator.MigrateAsync(source, "Bad-Name", Migrations, NullLogger.Instance, CancellationToken.None));
    }

    [Fact]
    public async Task A_connection_string_without_a_database_or_an_unreachable_server_gives_a_clear_error()
    {
        var noDatabase = await Assert.ThrowsAsync<SchemaMigrationException>(() =>
            DatabaseBootstrapper.EnsureDatabaseExistsAsync("Host=127.0.0.1;Username=postgres", NullLogger.Instance, CancellationToken.None));
        Assert.Contains("names no database", noDatabase.Message);

        var server = await PostgresServer.GetSharedAsync();
        var missing = new NpgsqlConnectionStringBuilder(server.DatabaseConnectionString(PostgresServer.UniqueName("migr")))
        {
            Username = "no_such_role",
        };
        var error = await Assert.ThrowsAsync<SchemaMigrationException>(() =>
            DatabaseBootstrapper.EnsureDatabaseExistsAsync(missing.ConnectionString, NullLogger.Instance, CancellationToken.None));
        Assert.Contains(missing.Database!, error.Message);
    }
}
