using System.Globalization;

namespace LoadGenerator;

public enum LoadMode
{
    Live,
    Offline,
    Idle,
    PgBench,
}

/// <summary>Command-line options (see <see cref="Usage"/>).</summary>
public sealed class LoadOptions
{
    public LoadMode Mode { get; init; } = LoadMode.Live;
    public int Replicas { get; init; } = 2;
    public IReadOnlyList<Uri> Targets { get; init; } = [];
    public IReadOnlyList<int> Pids { get; init; } = [];
    public int Wallets { get; init; } = 20;
    public long Forwards { get; init; } = 2000;
    public int PerWallet { get; init; }
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(120);
    public int Concurrency { get; init; } = 16;
    /// <summary>Fixed-rate mode: forwards per second (open loop, at most <see cref="Concurrency"/> in flight); null = as fast as answered.</summary>
    public double? Rate { get; init; }
    public int PayloadBytes { get; init; } = 1024;
    public int Batch { get; init; } = 10;
    public TimeSpan Hold { get; init; } = TimeSpan.FromSeconds(10);
    public int PgBenchSeconds { get; init; } = 10;
    public int SetupConcurrency { get; init; } = 8;
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan MaxRun { get; init; } = TimeSpan.FromMinutes(15);
    public int Warmup { get; init; } = -1;
    public string? MediatorDll { get; init; }
    public bool Native { get; init; }
    public string? PgBin { get; init; }
    public string? PgHost { get; init; }
    public int PgPort { get; init; }
    public string PgUser { get; init; } = "postgres";
    public string PgDatabase { get; init; } = "postgres";
    public string KeySeed { get; init; } = "loadgen-shared-mediator-key-seed-passphrase-0001";
    public string MediatorLogLevel { get; init; } = "Warning";
    public string? JsonPath { get; init; }
    public bool AcknowledgeOverHttp { get; init; }
    public int PgStatements { get; init; }
    public string? ConnectionStringExtra { get; init; }
    public IReadOnlyDictionary<string, string> MediatorEnvironment { get; init; } = new Dictionary<string, string>();

    public bool StartsOwnMediators => Targets.Count == 0;

    /// <summary>Forwards sent before measuring (default: 2 per wallet, at most 500).</summary>
    public int EffectiveWarmup => Warmup >= 0 ? Warmup : Math.Min(500, Wallets * 2);

    public const string Usage = """
        Usage: dotnet run -c Release --project tests/LoadGenerator -- [options]

          --mode live|offline|idle   live: forward -> live delivery over WebSockets (default)
                                     offline: queue --per-wallet messages per wallet, then wallets pick up in batches
                                     idle: hold --wallets live sockets open for --hold seconds, report RSS
                                     pgbench: only PostgreSQL's ceiling (durable server started here, no mediator)
          --replicas N               mediator processes to start (default 2), with their own durable PostgreSQL
          --target URL[,URL...]      use running mediators instead (no PostgreSQL started; pgbench needs --pg-host/--pg-port)
          --pids PID[,PID...]        the target mediators' processes (default: scan /proc for Mediator.Api)
          --wallets W                simulated wallets (default 20)
          --forwards N               forwards in live mode (default 2000)
          --per-wallet N             offline mode: messages queued per wallet (default forwards / wallets)
          --duration S               stop sending after S seconds even if N are not sent (default 120)
          --concurrency C            forward requests in flight (default 16); also pgbench's client count
          --rate R                   send at R forwards/s (open loop: message i is due at i/R s; at most C in flight;
                                     the report counts sends that fell behind), e.g. to read p99 latency at a given rate;
                                     default: as fast as the mediator answers
          --payload-bytes B          size of the envelope the mediator stores (default 1024)
          --batch B                  offline pickup: delivery-request limit (default 10, as Credo)
          --ack ws|http              live mode: acknowledge deliveries on the socket (default) or over HTTP POST as Credo
                                     does when the mediator advertises http before ws
          --hold S                   idle mode: seconds to hold the sockets (default 10)
          --warmup N                 forwards before measuring (default 2 per wallet, at most 500)
          --pgbench-seconds S        pgbench duration (default 10; 0 = skip)
          --setup-concurrency N      wallets set up in parallel (default 8)
          --drain-timeout S          wait for deliveries after sending (default 60)
          --max-run S                hard limit of the whole run (default 900)
          --mediator-dll PATH        default: Mediator.Api/bin/<Release|Debug>/net10.0/Mediator.Api.dll (newest);
                             a path without .dll is run as an executable (e.g. the native AOT build)
          --native true              publish Mediator.Api as native AOT first (as deployed; 1-4 min the first time,
                                     incremental after) into Mediator.Api/bin/Release/net10.0/linux-x64/publish and run that
          --pg-bin DIR               PostgreSQL binaries (default /usr/lib/postgresql/<newest>/bin)
          --pg-host H --pg-port P [--pg-user U] [--pg-database D]   target mode: the server for pgbench
          --key-seed TEXT            Mediator__KeySeed shared by the replicas started here
          --mediator-log-level L     default Warning
          --json PATH                also write the report as JSON
          --mediator-env N=V[,N=V]   extra environment of the mediators started here (e.g. DOTNET_gcServer=0)
          --connection-string-extra "K=V;..."   appended to the mediators' ConnectionStrings__pickup (experiments,
                                     e.g. "No Reset On Close=true"; printed in the report)
          --pg-statements N          diagnostic: load pg_stat_statements in the server started here and print the N
                                     statements with the most total time in the measured phase (and statements/message)
        Exit code: 0 = every accepted forward delivered exactly once and nothing failed; 1 = lost, duplicated or failed
        messages or a failed step; 2 = bad arguments.
        """;

    /// <exception cref="ArgumentException">An unknown option or a bad value (the message says which).</exception>
    public static LoadOptions Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Unexpected argument '{name}'.");
            if (name == "--help") throw new ArgumentException("");
            if (i + 1 >= args.Count) throw new ArgumentException($"{name} needs a value.");
            values[name[2..]] = args[++i];
        }
        var known = new HashSet<string>(StringComparer.Ordinal)
        {
            "mode", "replicas", "rate", "target", "pids", "wallets", "forwards", "per-wallet", "duration", "concurrency", "payload-bytes",
            "batch", "hold", "warmup", "pgbench-seconds", "setup-concurrency", "drain-timeout", "max-run", "mediator-dll", "pg-bin",
            "pg-host", "pg-port", "pg-user", "pg-database", "key-seed", "mediator-log-level", "json", "ack", "pg-statements", "connection-string-extra", "mediator-env", "native",
        };
        foreach (var key in values.Keys)
            if (!known.Contains(key)) throw new ArgumentException($"Unknown option --{key}.");

        int Int(string name, int fallback, int min, int max)
        {
            if (!values.TryGetValue(name, out var text)) return fallback;
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
                throw new ArgumentException($"--{name} must be an integer in [{min}, {max}], not '{text}'.");
            return v;
        }

        var mode = values.TryGetValue("mode", out var m)
            ? m switch
            {
                "live" => LoadMode.Live,
                "offline" => LoadMode.Offline,
                "idle" => LoadMode.Idle,
                "pgbench" => LoadMode.PgBench,
                _ => throw new ArgumentException($"--mode must be live, offline, idle or pgbench, not '{m}'."),
            }
            : LoadMode.Live;
        var targets = values.TryGetValue("target", out var t)
            ? t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(u =>
                Uri.TryCreate(u.EndsWith('/') ? u : u + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.IsLoopback
                    ? uri
                    : throw new ArgumentException($"--target must list loopback http(s) URLs, not '{u}'.")).ToList()
            : [];
        var pids = values.TryGetValue("pids", out var p)
            ? p.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x =>
                int.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : throw new ArgumentException($"--pids: '{x}' is not a process id.")).ToList()
            : [];
        var wallets = Int("wallets", 20, 1, 100_000);
        var forwards = Int("forwards", 2000, 1, 100_000_000);
        var options = new LoadOptions
        {
            Mode = mode,
            Replicas = Int("replicas", 2, 1, 16),
            Targets = targets,
            Pids = pids,
            Wallets = wallets,
            Forwards = forwards,
            PerWallet = Int("per-wallet", Math.Max(1, forwards / wallets), 1, 1_000_000),
            Duration = TimeSpan.FromSeconds(Int("duration", 120, 1, 86_400)),
            Concurrency = Int("concurrency", 16, 1, 1024),
            Rate = values.TryGetValue("rate", out var rateText)
                ? double.TryParse(rateText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rate) && rate is >= 1 and <= 1_000_000
                    ? rate
                    : throw new ArgumentException($"--rate must be a number of forwards per second in [1, 1000000], not '{rateText}'.")
                : null,
            PayloadBytes = Int("payload-bytes", 1024, 500, 1_000_000),
            Batch = Int("batch", 10, 1, 1000),
            Hold = TimeSpan.FromSeconds(Int("hold", 10, 0, 3600)),
            Warmup = Int("warmup", -1, -1, 100_000),
            PgBenchSeconds = Int("pgbench-seconds", 10, 0, 600),
            SetupConcurrency = Int("setup-concurrency", 8, 1, 256),
            DrainTimeout = TimeSpan.FromSeconds(Int("drain-timeout", 60, 1, 3600)),
            MaxRun = TimeSpan.FromSeconds(Int("max-run", 900, 10, 86_400)),
            MediatorDll = values.GetValueOrDefault("mediator-dll"),
            Native = values.GetValueOrDefault("native") switch
            {
                null or "false" => false,
                "true" => true,
                var n => throw new ArgumentException($"--native must be true or false, not '{n}'."),
            },
            PgBin = values.GetValueOrDefault("pg-bin"),
            PgHost = values.GetValueOrDefault("pg-host"),
            PgPort = Int("pg-port", 0, 0, 65535),
            PgUser = values.GetValueOrDefault("pg-user") ?? "postgres",
            PgDatabase = values.GetValueOrDefault("pg-database") ?? "postgres",
            KeySeed = values.GetValueOrDefault("key-seed") ?? "loadgen-shared-mediator-key-seed-passphrase-0001",
            MediatorLogLevel = values.GetValueOrDefault("mediator-log-level") ?? "Warning",
            JsonPath = values.GetValueOrDefault("json"),
            PgStatements = Int("pg-statements", 0, 0, 100),
            ConnectionStringExtra = values.GetValueOrDefault("connection-string-extra"),
            MediatorEnvironment = values.TryGetValue("mediator-env", out var env)
                ? env.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(pair =>
                    pair.IndexOf('=', StringComparison.Ordinal) is var eq and > 0
                        ? KeyValuePair.Create(pair[..eq], pair[(eq + 1)..])
                        : throw new ArgumentException($"--mediator-env takes NAME=VALUE[,NAME=VALUE...], not '{pair}'.")).ToDictionary()
                : new Dictionary<string, string>(),
            AcknowledgeOverHttp = values.GetValueOrDefault("ack") switch
            {
                null or "ws" => false,
                "http" => true,
                var a => throw new ArgumentException($"--ack must be ws or http, not '{a}'."),
            },
        };
        if (options.PgHost is not null && options.PgHost is not ("127.0.0.1" or "localhost" or "::1"))
            throw new ArgumentException("--pg-host must be a loopback address.");
        if (options.Native && options.MediatorDll is not null) throw new ArgumentException("--native and --mediator-dll exclude each other.");
        if (options.KeySeed.Length < 32) throw new ArgumentException("--key-seed must be at least 32 characters.");
        return options;
    }
}
