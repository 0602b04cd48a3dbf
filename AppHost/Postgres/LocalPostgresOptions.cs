using Microsoft.Extensions.Configuration;

namespace PickupAspire.AppHost.Postgres;

/// <summary>Settings of the local PostgreSQL mode (configuration section <c>Postgres:Local</c>).</summary>
internal sealed record LocalPostgresOptions
{
    public const string Section = "Postgres:Local";

    /// <summary>Folder holding <c>initdb</c> and <c>postgres</c>; default: the newest /usr/lib/postgresql/*/bin.</summary>
    public string? BinDirectory { get; init; }

    /// <summary>Parent of the per-run data directories; default: &lt;temp&gt;/pickupaspire-postgres.</summary>
    public string? DataRoot { get; init; }

    /// <summary>
    /// Durable commits (fsync, synchronous_commit, full_page_writes on), the default. False trades durability for speed
    /// (a crash of the machine may lose committed data; the data directory is per run anyway).
    /// </summary>
    public bool Durable { get; init; } = true;

    public static LocalPostgresOptions From(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<LocalPostgresOptions>() ?? new LocalPostgresOptions();

    public string ResolveDataRoot() =>
        string.IsNullOrWhiteSpace(DataRoot) ? Path.Combine(Path.GetTempPath(), "pickupaspire-postgres") : Path.GetFullPath(DataRoot);

    public string ResolveBinDirectory()
    {
        var candidates = new List<string>();
        if (!string.IsNullOrWhiteSpace(BinDirectory)) candidates.Add(BinDirectory);
        else if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var version) ? version : 0)
                .Select(d => Path.Combine(d, "bin")));
        }
        return candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "postgres")))
            ?? throw new InvalidOperationException(
                "Postgres:Mode is local but no PostgreSQL server binaries were found " +
                $"(looked in: {(candidates.Count == 0 ? "/usr/lib/postgresql/*/bin" : string.Join(", ", candidates))}). " +
                $"Install the postgresql package, set {Section}:BinDirectory, or choose another Postgres:Mode.");
    }
}
