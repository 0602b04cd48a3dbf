namespace PickupAspire.AppHost.Postgres;

/// <summary>
/// A PostgreSQL server run from the machine's own binaries as an Aspire executable (no container runtime needed).
/// Its connection string is for the <c>postgres</c> superuser on the loopback port DCP picked.
/// </summary>
public sealed class LocalPostgresServerResource(string name, string command, string workingDirectory, string password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";
    public const string UserName = "postgres";

    private EndpointReference? _primaryEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, EndpointName);

    /// <summary>Generated for this run (hex, so it needs no quoting in a connection string).</summary>
    internal string Password { get; } = password;

    /// <summary>The server listens on 127.0.0.1 only; naming the address saves clients a failed try of ::1.</summary>
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host=127.0.0.1;Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={UserName};Password={Password}");
}

/// <summary>A database on a <see cref="LocalPostgresServerResource"/>; created by the AppHost once the server is ready.</summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresServerResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresServerResource>, IResourceWithConnectionString
{
    public LocalPostgresServerResource Parent { get; } = parent;

    public string DatabaseName { get; } = databaseName;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}
