using PickupAspire.TestSupport;
using System.Text;
using System.Text.Json.Nodes;

namespace Mediator.Didcomm.Tests.Envelopes;

/// <summary>
/// Drives tests/interop/libsodium/cli.mjs: an independent RFC 0019 implementation over libsodium-wrappers in Node.
/// Runs <c>npm ci</c> there itself when its dependencies are missing, so a fresh checkout needs no manual step, and
/// fails with a clear message when Node.js is not installed.
/// </summary>
public sealed class NodeEnvelopeCli : IAsyncLifetime
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(5);

    public string PackageDirectory { get; } = FindPackageDirectory();

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(CommandTimeout);
        var version = await RunAsync("node", ["--version"], input: null, timeout.Token);
        if (version.ExitCode != 0)
        {
            throw new InvalidOperationException($"'node --version' failed: {version.StandardError}");
        }

        var installed = Path.Combine(PackageDirectory, "node_modules", "libsodium-wrappers", "package.json");
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

    /// <summary>Sends a batch of requests to cli.mjs and returns its responses, in order.</summary>
    public async Task<JsonArray> CallAsync(JsonArray requests, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        var result = await RunAsync("node", ["cli.mjs"], requests.ToJsonString(), timeout.Token);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"cli.mjs exited with {result.ExitCode}: {result.StandardError}");
        }

        return JsonNode.Parse(result.StandardOutput)!.AsArray();
    }

    private Task<ToolResult> RunAsync(string program, string[] arguments, string? input, CancellationToken cancellationToken) =>
        NodeTool.RunAsync(PackageDirectory, program, arguments, input, "The envelope interop tests", cancellationToken);

    private static string FindPackageDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "interop", "libsodium");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"tests/interop/libsodium/package.json was not found above {AppContext.BaseDirectory}.");
    }
}

[CollectionDefinition(Name)]
public sealed class NodeInteropCollection : ICollectionFixture<NodeEnvelopeCli>
{
    public const string Name = "Node libsodium interop";
}
