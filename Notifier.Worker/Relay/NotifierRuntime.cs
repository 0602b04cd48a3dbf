using Microsoft.Extensions.Options;
using Notifier.Worker.Diagnostics;
using Npgsql;

namespace Notifier.Worker.Relay;

/// <summary>The data source the notifier uses (the one in DI unless replaced).</summary>
public sealed record NotifierDataSource(NpgsqlDataSource DataSource);

/// <summary>What the notifier's parts share: options, data source, SQL, worker id, telemetry.</summary>
internal sealed class NotifierRuntime
{
    public NotifierRuntime(IOptions<NotifierOptions> options, NotifierDataSource dataSource, NotifierTelemetry telemetry, TimeProvider time)
    {
        Options = options.Value;
        DataSource = dataSource.DataSource;
        Telemetry = telemetry;
        Time = time;
        Sql = new NotifierSql(Options);
        WorkerId = string.IsNullOrWhiteSpace(Options.WorkerId)
            ? $"notifier-{Environment.MachineName}-{Guid.NewGuid():N}"[..Math.Min(Environment.MachineName.Length + 22, 90)]
            : Options.WorkerId;
    }

    public NotifierOptions Options { get; }
    public NpgsqlDataSource DataSource { get; }
    public NotifierTelemetry Telemetry { get; }
    public TimeProvider Time { get; }
    public NotifierSql Sql { get; }
    public string WorkerId { get; }

    public static NpgsqlParameter<T> P<T>(T value) => new() { TypedValue = value };
}
