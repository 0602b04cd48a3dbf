namespace Pickup.Core.Schema;

/// <summary>
/// One versioned schema change. <paramref name="Version"/> orders migrations within a component (strictly increasing,
/// positive); <paramref name="Sql"/> runs in one transaction together with the history row that records it.
/// </summary>
public sealed record SchemaMigration(int Version, string Name, string Sql);
