using System.Globalization;
using System.Text;

namespace Mediator.Interop.Tests.Support;

/// <summary>
/// The output of a child process: every line kept in order (up to a cap) and appended to a file, with marks so a test
/// can look at what was logged during its own run only.
/// </summary>
public sealed class LogBuffer : IDisposable
{
    private const int MaxLines = 200_000;

    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];
    private readonly StreamWriter? _file;
    private readonly DateTime _started = DateTime.UtcNow;
    private int _dropped;

    public LogBuffer(string? filePath)
    {
        FilePath = filePath;
        if (filePath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(filePath)!);
            _file = new StreamWriter(filePath, append: false, Encoding.UTF8) { AutoFlush = true };
        }
    }

    /// <summary>Where every line is also written (kept after the run for diagnosis), if anywhere.</summary>
    public string? FilePath { get; }

    public void Add(string stream, string line)
    {
        var elapsed = (DateTime.UtcNow - _started).TotalSeconds.ToString("F3", CultureInfo.InvariantCulture);
        var text = $"[{elapsed,8}s {stream}] {line}";
        lock (_gate)
        {
            if (_lines.Count >= MaxLines)
            {
                _lines.RemoveRange(0, MaxLines / 10);
                _dropped += MaxLines / 10;
            }
            _lines.Add(text);
            _file?.WriteLine(text);
        }
    }

    /// <summary>A position to pass to <see cref="Since"/>.</summary>
    public int Mark()
    {
        lock (_gate) return _dropped + _lines.Count;
    }

    public IReadOnlyList<string> Since(int mark)
    {
        lock (_gate) return _lines.Skip(Math.Max(0, mark - _dropped)).ToList();
    }

    /// <summary>The last lines since the mark, each cut to <paramref name="maxLineLength"/> characters.</summary>
    public IReadOnlyList<string> Tail(int count, int sinceMark = 0, int maxLineLength = 800)
    {
        var lines = Since(sinceMark);
        return lines.Skip(Math.Max(0, lines.Count - count)).Select(l => Cut(l, maxLineLength)).ToList();
    }

    public static string Cut(string line, int maxLength) =>
        line.Length <= maxLength ? line : $"{line[..maxLength]}… ({line.Length} chars)";

    public void Dispose()
    {
        lock (_gate) _file?.Dispose();
    }
}
