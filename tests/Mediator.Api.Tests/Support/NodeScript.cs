using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Mediator.Api.Tests.Support;

/// <summary>
/// One of the Credo harness programs (tests/interop/credo/*.mjs) as a child process: JSON-line events from stdout,
/// JSON commands to stdin, stderr kept for failure messages; killed on dispose. Needs the package installed
/// (<see cref="CredoModel"/> does that).
/// </summary>
public sealed class NodeScript : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<JsonObject> _events = Channel.CreateUnbounded<JsonObject>();
    private readonly StringBuilder _stderr = new();
    private readonly List<JsonObject> _seen = [];
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;

    private NodeScript(Process process)
    {
        _process = process;
        _stdoutPump = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.Length == 0 || line[0] != '{') continue;
                try
                {
                    if (JsonNode.Parse(line) is JsonObject e) await _events.Writer.WriteAsync(e);
                }
                catch (System.Text.Json.JsonException)
                {
                }
            }
            _events.Writer.TryComplete();
        });
        _stderrPump = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
                lock (_stderr) _stderr.AppendLine(line);
        });
    }

    public static NodeScript Start(string packageDirectory, string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = packageDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(packageDirectory, script));
        foreach (var a in arguments) start.ArgumentList.Add(a);
        return new NodeScript(Process.Start(start) ?? throw new InvalidOperationException("node did not start"));
    }

    public string StandardError
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>Every event read so far.</summary>
    public IReadOnlyList<JsonObject> Events => _seen;

    /// <summary>The next event matching <paramref name="match"/> (earlier events are kept in <see cref="Events"/>).</summary>
    public async Task<JsonObject> WaitForAsync(Func<JsonObject, bool> match, string what, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await _events.Reader.WaitToReadAsync(cts.Token))
            {
                while (_events.Reader.TryRead(out var e))
                {
                    _seen.Add(e);
                    if ((string?)e["event"] == "error")
                        throw new InvalidOperationException($"the script failed while waiting for {what}: {e.ToJsonString()}\n{StandardError}");
                    if (match(e)) return e;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        throw new TimeoutException($"no {what} within {timeout}; events: {string.Join("\n", _seen.Select(e => e.ToJsonString()))}\nstderr:\n{StandardError}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
        }
        await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        _process.Dispose();
    }
}
