using System.Reflection;

namespace Mediator.Interop.Tests.Support;

/// <summary>
/// Paths recorded at build time (see the csproj's <c>RecordMediatorApiAssembly</c> target): the Mediator.Api build
/// output this test assembly was built against, and the Credo harness folder of the same checkout.
/// </summary>
internal static class BuildPaths
{
    /// <summary>Overrides the mediator assembly to run (e.g. a published build, or the native AOT executable).</summary>
    public const string MediatorAssemblyVariable = "PICKUP_MEDIATOR_DLL";

    public static string MediatorApiAssembly
    {
        get
        {
            var path = Environment.GetEnvironmentVariable(MediatorAssemblyVariable) is { Length: > 0 } configured
                ? configured
                : Metadata("MediatorApiAssembly");
            if (!File.Exists(path))
            {
                throw new InvalidOperationException(
                    $"The mediator assembly '{path}' does not exist. Build tests/Mediator.Interop.Tests (it builds " +
                    $"Mediator.Api first) or set {MediatorAssemblyVariable}.");
            }
            // A native AOT executable (dotnet publish Mediator.Api -r linux-x64) runs as it is.
            if (!path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) return path;
            var runtimeConfig = Path.ChangeExtension(path, ".runtimeconfig.json");
            if (!File.Exists(runtimeConfig))
                throw new InvalidOperationException($"'{path}' has no {Path.GetFileName(runtimeConfig)} beside it: not a runnable build output.");
            return path;
        }
    }

    public static string CredoHarnessDirectory
    {
        get
        {
            var path = Metadata("CredoHarnessDirectory");
            if (!File.Exists(Path.Combine(path, "scenario.mjs")))
                throw new InvalidOperationException($"The Credo harness is not at '{path}' (no scenario.mjs there).");
            return path;
        }
    }

    private static string Metadata(string key) =>
        typeof(BuildPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"Assembly metadata '{key}' is missing: the csproj's RecordMediatorApiAssembly target did not run.");
}
