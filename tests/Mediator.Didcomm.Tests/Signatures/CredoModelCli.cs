using PickupAspire.TestSupport;
using System.Text;
using System.Text.Json.Nodes;

namespace Mediator.Didcomm.Tests.Signatures;

/// <summary>
/// Drives tests/interop/credo/model-check.mjs, which runs @credo-ts/core 0.5.17's own message classes, did:peer
/// functions, JwsService and signature decorator utilities. Runs <c>npm ci</c> (from the lockfile) in
/// tests/interop/credo when its dependencies are missing (the Credo harness shares that package), and fails with a
/// clear message when Node.js is not installed.
/// </summary>
public sealed class CredoModelCli : IAsyncLifetime
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(8);

    public string PackageDirectory { get; } = FindPackageDirectory();

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(InstallTimeout);
        var installed = Path.Combine(PackageDirectory, "node_modules", "@credo-ts", "core", "package.json");
        if (File.Exists(installed))
        {
            return;
        }

        // Another test process of this checkout may be installing the same package right now: one at a time.
        await using var installLock = await AcquireInstallLockAsync(timeout.Token);
        if (!File.Exists(installed))
        {
            var install = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], input: null, timeout.Token);
            if (install.ExitCode != 0 || !File.Exists(installed))
            {
                throw new InvalidOperationException(
                    $"'npm ci' in {PackageDirectory} failed (exit {install.ExitCode}):\n{install.StandardOutput}\n{install.StandardError}");
            }
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Runs a batch of requests through model-check.mjs; each answer is <c>{ok, result}</c> or <c>{ok: false, error}</c>.</summary>
    public async Task<JsonArray> CallAsync(JsonArray requests)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var result = await RunAsync("node", ["model-check.mjs"], requests.ToJsonString(), timeout.Token);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"model-check.mjs exited with {result.ExitCode}: {result.StandardError}");
        }

        return JsonNode.Parse(result.StandardOutput)!.AsArray();
    }

    /// <summary>Runs one request and returns its result, failing the test with Credo's error when it was rejected.</summary>
    public async Task<JsonObject> CallOneAsync(JsonObject request)
    {
        var answer = (await CallAsync([request]))[0]!.AsObject();
        Assert.True(answer["ok"]!.GetValue<bool>(), $"Credo rejected {request["op"]}: {answer["error"]}");
        return answer["result"]!.AsObject();
    }

    private Task<ToolResult> RunAsync(string program, string[] arguments, string? input, CancellationToken cancellationToken) =>
        NodeTool.RunAsync(PackageDirectory, program, arguments, input, "The Credo model checks", cancellationToken);

    private Task<FileStream> AcquireInstallLockAsync(CancellationToken cancellationToken) =>
        NodeTool.AcquireInstallLockAsync(PackageDirectory, cancellationToken);

    private static string FindPackageDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "interop", "credo");
            if (File.Exists(Path.Combine(candidate, "model-check.mjs")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("tests/interop/credo/model-check.mjs not found above " + AppContext.BaseDirectory);
    }
}
