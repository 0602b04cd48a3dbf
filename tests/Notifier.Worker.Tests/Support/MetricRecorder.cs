using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Notifier.Worker.Tests.Support;

/// <summary>Sums the Notifier.Worker counters of one host (its IMeterFactory), by name and channel tag.</summary>
internal sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _sums = new();

    public MetricRecorder(IMeterFactory factory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Notifier.Worker" && ReferenceEquals(instrument.Meter.Scope, factory))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? channel = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "channel") channel = tag.Value as string;
            }
            _sums.AddOrUpdate(instrument.Name + (channel is null ? "" : "/" + channel), value, (_, v) => v + value);
        });
        _listener.Start();
    }

    public long this[string name] => _sums.GetValueOrDefault(name);

    public void Dispose() => _listener.Dispose();
}
