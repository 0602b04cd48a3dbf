using PickupAspire.TestSupport;
using System.Text;
using System.Text.Json.Nodes;

namespace Mediator.Api.Tests.Support;

/// <summary>
/// Runs @credo-ts/core 0.5.17's own code (tests/interop/credo: <c>model-check.mjs</c> and <c>mediator-check.mjs</c>) on
/// messages the mediator produced, so that "ok" means Credo itself accepts them. Runs <c>npm ci</c> there (from the
/// lockfile) once when its dependencies are missing, one process at a time (the same lock file as
/// Mediator.Didcomm.Tests' CredoModelCli). Shared per test collection (<see cref="CredoModelCollection"/>).
/// </summary>
public sealed class CredoModel : IAsyncLifetime
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    public string PackageDirectory { get; } = FindPackageDirectory();

    public async Task InitializeAsync()
    {
        await InstallLock.WaitAsync();
        try
        {
            var installed = Path.Combine(PackageDirectory, "node_modules", "@credo-ts", "core", "package.json");
            if (File.Exists(installed)) return;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
            await using var fileLock = await AcquireInstallLockAsync(timeout.Token);
            if (File.Exists(installed)) return;
            var install = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], null, timeout.Token);
            if (install.ExitCode != 0 || !File.Exists(installed))
                throw new InvalidOperationException($"'npm ci' in {PackageDirectory} failed (exit {install.ExitCode}):\n{install.StandardOutput}\n{install.StandardError}");
        }
        finally
        {
            InstallLock.Release();
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>model-check.mjs: verifyDidExchangeResponse, verifyConnectionResponse, parseMessage, createDidExchangeRequest, ...</summary>
    public Task<JsonObject> CheckAsync(JsonObject request) => CallOneAsync("model-check.mjs", request);

    /// <summary>mediator-check.mjs: parseInvitation, parseReply.</summary>
    public Task<JsonObject> MediatorCheckAsync(JsonObject request) => CallOneAsync("mediator-check.mjs", request);

    /// <summary>Runs one request; fails the test with Credo's error when Credo rejected the input.</summary>
    public async Task<JsonObject> CallOneAsync(string script, JsonObject request)
    {
        var answer = (await CallAsync(script, [request]))[0]!.AsObject();
        Assert.True(answer["ok"]!.GetValue<bool>(), $"Credo rejected {request["op"]}: {answer["error"]}\ninput: {request.ToJsonString()}");
        return answer["result"]!.AsObject();
    }

    public async Task<JsonArray> CallAsync(string script, JsonArray requests)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var result = await RunAsync("node", [script], requests.ToJsonString(), timeout.Token);
        if (result.ExitCode != 0) throw new InvalidOperationException($"{script} exited with {result.ExitCode}: {result.StandardError}");
        return JsonNode.Parse(result.StandardOutput)!.AsArray();
    }

    private Task<ToolResult> RunAsync(string program, string[] arguments, string? input, CancellationToken cancellationToken) =>
        NodeTool.RunAsync(PackageDirectory, program, arguments, input, "The Credo checks", cancellationToken);

    private static string FindPackageDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "interop", "credo");
            if (File.Exists(Path.Combine(candidate, "mediator-check.mjs"))) return candidate;
        }
        throw new InvalidOperationException("tests/interop/credo/mediator-check.mjs not found above " + AppContext.BaseDirectory);
    }

    private Task<FileStream> AcquireInstallLockAsync(CancellationToken cancellationToken) =>
        NodeTool.AcquireInstallLockAsync(PackageDirectory, cancellationToken);
}

[CollectionDefinition(Name)]
public sealed class CredoModelCollection : ICollectionFixture<CredoModel>
{
    public const string Name = "Credo model";
}
