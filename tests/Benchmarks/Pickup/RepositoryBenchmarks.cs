using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pickup.Core;
using PickupAspire.TestSupport;

namespace Benchmarks.Pickup;

/// <summary>
/// Pickup.Core's add path against a durable PostgreSQL started by the benchmark (fsync and synchronous_commit on):
/// one caller (latency of a lone add: one durable commit), and 16 concurrent callers (per-message cost with group
/// commit). Absolute times follow the machine's load; compare runs on the same machine, or use the throughput mode
/// for ratios to pgbench.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class RepositoryAddBenchmarks
{
    private static readonly string[] Keys = ["recipient-key"];
    private PostgresServer _server = null!;
    private IHost _host = null!;
    private IMessagePickupRepository _queue = null!;
    private byte[] _payload = null!;
    private long _next;

    [Params(true, false)]
    public bool Batching { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _payload = PickupBench.Payload();
        _server = await PickupBench.StartDurableServerAsync();
        await PickupBench.CreateDatabaseAsync(_server, "bench");
        _host = await PickupBench.StartPickupAsync(_server, "bench", Batching);
        _queue = _host.Services.GetRequiredService<IMessagePickupRepository>();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await _server.DisposeAsync();
    }

    private Task<AddedMessage> AddOne() =>
        _queue.AddMessageAsync(new AddMessageRequest($"wallet-{Interlocked.Increment(ref _next) % 1000}", Keys, _payload));

    [Benchmark(Description = "Add (1 caller)")]
    public Task<AddedMessage> Add() => AddOne();

    [Benchmark(Description = "Add (16 concurrent callers), per message", OperationsPerInvoke = 16)]
    public Task AddConcurrent16() => Task.WhenAll(Enumerable.Range(0, 16).Select(_ => AddOne()));
}

/// <summary>
/// Take (lease <see cref="Limit"/> messages, arrival order, SKIP LOCKED) and ack (delete them) of one connection's
/// queue, on a durable PostgreSQL. Each iteration first queues (and for ack, takes) what its invocations consume.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8, invocationCount: 32)]
public class RepositoryTakeAckBenchmarks
{
    private const int Invocations = 32;
    private static readonly string[] Keys = ["recipient-key"];
    private PostgresServer _server = null!;
    private IHost _host = null!;
    private IMessagePickupRepository _queue = null!;
    private byte[] _payload = null!;
    private readonly Queue<Guid[]> _toAck = new();

    [Params(10, 100)]
    public int Limit { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _payload = PickupBench.Payload();
        _server = await PickupBench.StartDurableServerAsync();
        await PickupBench.CreateDatabaseAsync(_server, "bench");
        _host = await PickupBench.StartPickupAsync(_server, "bench");
        _queue = _host.Services.GetRequiredService<IMessagePickupRepository>();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await _server.DisposeAsync();
    }

    private void Fill()
    {
        var adds = new List<Task>();
        for (var i = 0; i < Invocations * Limit; i++) adds.Add(_queue.AddMessageAsync(new AddMessageRequest("wallet", Keys, _payload)));
        Task.WhenAll(adds).GetAwaiter().GetResult();
    }

    [IterationSetup(Target = nameof(Take))]
    public void SetupTake() => Fill();

    [IterationCleanup(Target = nameof(Take))]
    public void CleanupTake()
    {
        // The iteration leased everything it queued: delete it (through the usage trigger, like an ack) so that the
        // next iteration starts from an empty queue.
        PickupBench.ExecuteAsync(_server.DatabaseConnectionString("bench"), "DELETE FROM pickup.messages WHERE connection_id = 'wallet'")
            .GetAwaiter().GetResult();
    }

    [IterationSetup(Target = nameof(Ack))]
    public void SetupAck()
    {
        Fill();
        _toAck.Clear();
        for (var i = 0; i < Invocations; i++)
        {
            var taken = _queue.TakeFromQueueAsync(new TakeFromQueueRequest("wallet", Limit)).GetAwaiter().GetResult();
            _toAck.Enqueue([.. taken.Select(m => m.Id)]);
        }
    }

    [Benchmark(Description = "Take (lease)")]
    public Task<IReadOnlyList<QueuedMessage>> Take() => _queue.TakeFromQueueAsync(new TakeFromQueueRequest("wallet", Limit));

    [Benchmark(Description = "Ack (delete)")]
    public Task<int> Ack() => _queue.RemoveMessagesAsync("wallet", _toAck.Dequeue());
}
