using Aspire.Hosting.Publishing;

namespace PickupAspire.AppHost;

internal static class Secrets
{
    /// <summary>A random 48-character secret of letters and digits (~285 bits), generated once per machine or deployment.</summary>
    public static GenerateParameterDefault Generated() => new()
    {
        MinLength = 48,
        Lower = true,
        Upper = true,
        Numeric = true,
        Special = false,
    };

    /// <summary>Empty unless configured: the feature it enables stays off, and nobody is asked for a value.</summary>
    public static ParameterDefault Optional() => new EmptyParameterDefault();

    private sealed class EmptyParameterDefault : ParameterDefault
    {
        public override string GetDefaultValue() => "";

        public override void WriteToManifest(ManifestPublishingContext context) => context.Writer.WriteString("value", "");
    }
}
