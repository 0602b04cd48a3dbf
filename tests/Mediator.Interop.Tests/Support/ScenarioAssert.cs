using System.Globalization;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Mediator.Interop.Tests.Support;

/// <summary>
/// Checks a scenario run phase by phase (every message exactly once, nothing while offline, live mode back on) and,
/// on failure, says what was expected, what came, and what the mediator replicas logged meanwhile.
/// </summary>
public static class ScenarioAssert
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    /// <summary>The per-phase numbers, for the test output.</summary>
    public static string Describe(ScenarioRun run)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{run.CommandLine}");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"exit code {run.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "none (timed out)"}, {run.Duration.TotalSeconds:F1} s wall time");
        foreach (var phase in run.Phases) text.AppendLine("phase " + Shorten(phase));
        if (run.Summary is { } summary) text.AppendLine("summary " + summary.GetRawText());
        foreach (var error in run.Errors) text.AppendLine("error " + LogBuffer.Cut(error.GetRawText(), 1500));
        foreach (var exit in run.OfType("child-exit")) text.AppendLine("child-exit " + exit.GetRawText());
        return text.ToString();
    }

    public static void Passed(ScenarioRun run, ScenarioOptions options, IReadOnlyList<(MediatorReplica Replica, int Mark)> replicas,
        ITestOutputHelper output, bool tolerateDuplicates = false, IReadOnlyList<string>? moreProblems = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(replicas);
        ArgumentNullException.ThrowIfNull(output);
        var problems = Problems(run, options, tolerateDuplicates).Concat(moreProblems ?? []).ToList();
        output.WriteLine(Describe(run));
        if (problems.Count == 0) return;

        var message = new StringBuilder();
        message.AppendLine(CultureInfo.InvariantCulture, $"The Credo scenario failed ({problems.Count} problems):");
        foreach (var problem in problems) message.AppendLine("  - " + problem);
        message.AppendLine();
        message.Append(Describe(run));
        message.AppendLine(CultureInfo.InvariantCulture, $"--- scenario stderr/stdout, last 40 lines (full: {run.Log.FilePath}) ---");
        message.AppendLine(string.Join(Environment.NewLine, run.Log.Tail(40)));
        foreach (var (replica, mark) in replicas)
        {
            var warnings = replica.ProblemsSince(mark);
            message.AppendLine(CultureInfo.InvariantCulture,
                $"--- mediator {replica.Name}: {warnings.Count} warning/error lines during the scenario (first 30) ---");
            foreach (var line in warnings.Take(30)) message.AppendLine(LogBuffer.Cut(line, 800));
            message.AppendLine(replica.LogTail(40, mark));
            if (replica.HasExited) message.AppendLine(CultureInfo.InvariantCulture, $"!!! mediator {replica.Name} has EXITED");
        }
        output.WriteLine(message.ToString());
        throw new XunitException(message.ToString());
    }

    /// <summary>Everything wrong with the run, each with expected vs. actual.</summary>
    /// <param name="tolerateDuplicates">Extra copies are the caller's to judge: received, duplicates, ok and the exit
    /// code (which reflect them) are not checked; unique, missing and everything else are.</param>
    public static IReadOnlyList<string> Problems(ScenarioRun run, ScenarioOptions options, bool tolerateDuplicates = false)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (run.TimedOut) problems.Add($"the scenario did not finish within {options.Timeout.TotalSeconds:F0} s (killed)");
        else if (run.ExitCode != 0 && !tolerateDuplicates) problems.Add($"scenario.mjs exit code: expected 0, got {run.ExitCode}");
        foreach (var error in run.Errors) problems.Add($"scenario error: {Text(error, "message")}");
        foreach (var exit in run.OfType("child-exit")) problems.Add($"child {Text(exit, "name")} exited with code {exit.GetProperty("code")}");

        var phases = run.Phases;
        var names = phases.Select(p => Text(p, "phase")).ToList();
        if (!names.SequenceEqual(options.Phases))
            problems.Add($"phases: expected [{string.Join(", ", options.Phases)}], got [{string.Join(", ", names)}]");
        foreach (var phase in phases)
        {
            var name = Text(phase, "phase");
            void Equal(string field, long expected)
            {
                if (!phase.TryGetProperty(field, out var value) || value.ValueKind != JsonValueKind.Number)
                    problems.Add($"phase {name}: '{field}' missing");
                else if (value.GetInt64() != expected)
                    problems.Add($"phase {name}: {field} expected {expected}, got {value.GetInt64()}");
            }
            void Empty(string field)
            {
                if (phase.TryGetProperty(field, out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0)
                {
                    var items = list.EnumerateArray().Select(i => i.ValueKind == JsonValueKind.String ? i.GetString() : i.GetRawText()).ToList();
                    problems.Add($"phase {name}: {field} expected none, got {items.Count}: {string.Join(", ", items.Take(12))}{(items.Count > 12 ? ", …" : "")}");
                }
            }
            Equal("expected", options.Count);
            if (!tolerateDuplicates) Equal("received", options.Count);
            Equal("unique", options.Count);
            Empty("missing");
            if (!tolerateDuplicates) Empty("duplicates");
            Empty("unexpected");
            if (phase.TryGetProperty("receivedWhileOffline", out var offline) && offline.GetInt32() != 0)
                problems.Add($"phase {name}: receivedWhileOffline expected 0, got {offline.GetInt32()}");
            if (phase.TryGetProperty("liveAgain", out var liveAgain) && liveAgain.ValueKind == JsonValueKind.False)
                problems.Add($"phase {name}: live mode was not enabled again after coming back online (liveAgain false)");
            if (phase.TryGetProperty("timedOut", out var timedOut) && timedOut.ValueKind == JsonValueKind.String)
                problems.Add($"phase {name}: timed out: {timedOut.GetString()}");
            if (name == "drop" && phase.TryGetProperty("socketsDropped", out var dropped) && dropped.GetInt32() < 1)
                problems.Add($"phase drop: expected at least one socket dropped, got {dropped.GetInt32()} (the phase proved nothing)");
            if (!tolerateDuplicates && (!phase.TryGetProperty("ok", out var ok) || ok.ValueKind != JsonValueKind.True))
                problems.Add($"phase {name}: ok is not true");
        }
        if (run.Summary is not { } summary) problems.Add("no summary line");
        else if (!tolerateDuplicates && (!summary.TryGetProperty("ok", out var ok) || ok.ValueKind != JsonValueKind.True)) problems.Add("summary: ok is not true");
        return problems;
    }

    private static string Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : value.GetRawText() : "?";

    /// <summary>A phase line with long lists cut to their first entries.</summary>
    private static string Shorten(JsonElement phase)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var property in phase.EnumerateObject())
        {
            copy[property.Name] = property.Value.ValueKind == JsonValueKind.Array && property.Value.GetArrayLength() > 5
                ? property.Value.EnumerateArray().Take(5).Select(e => e.Clone()).Append(JsonDocument.Parse($"\"… {property.Value.GetArrayLength()} in all\"").RootElement).ToList()
                : property.Value.Clone();
        }
        return JsonSerializer.Serialize(copy, Compact);
    }
}
