using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Pickup.Core.Notifications;
using Pickup.Core.Sessions;

namespace Pickup.Core.Hosting;

/// <summary>What every part of one Pickup.Core instance shares: options, data source, SQL, identity, local sessions.</summary>
internal sealed class PickupRuntime
{
    public PickupRuntime(IOptions<PickupOptions> options, PickupDataSource dataSource, PickupMetrics metrics, TimeProvider time)
    {
        Options = options.Value;
        DataSource = dataSource.DataSource;
        Metrics = metrics;
        Time = time;
        InstanceId = string.IsNullOrWhiteSpace(Options.InstanceId) ? GenerateInstanceId() : Options.InstanceId;
        Sql = new PickupSql(Options.Schema);
        Channel = Channels.ForInstance(Options.Schema, InstanceId);
        OutboxChannel = Channels.Outbox(Options.Schema);
        metrics.LiveSessions = () => Sessions.Count;
        metrics.RefreshInterval = Options.GaugeRefreshInterval;
        metrics.Time = time;
    }

    public PickupOptions Options { get; }
    public NpgsqlDataSource DataSource { get; }
    public PickupMetrics Metrics { get; }
    public TimeProvider Time { get; }
    public string InstanceId { get; }
    public PickupSql Sql { get; }
    public string Channel { get; }
    public string OutboxChannel { get; }
    public LocalSessions Sessions { get; } = new();

    private static string GenerateInstanceId()
    {
        var machine = new string([.. Environment.MachineName.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.').Take(40)]);
        return $"{(machine.Length == 0 ? "instance" : machine)}-{Guid.NewGuid():N}"[..Math.Min(machine.Length + 13, 60)];
    }

    public static NpgsqlParameter<T> P<T>(T value) => new() { TypedValue = value };

    public static NpgsqlParameter Text(string? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };
}

/// <summary>The data source Pickup.Core uses (the one in DI unless <see cref="PickupCoreBuilder.UseDataSource"/> says
/// otherwise).</summary>
internal sealed record PickupDataSource(NpgsqlDataSource DataSource);
