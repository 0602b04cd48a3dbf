using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PickupAspire.AppHost.Postgres;

public static class PickupDatabaseExtensions
{
    /// <summary>
    /// Adds the product's PostgreSQL database as a resource named <paramref name="name"/>, from where
    /// <c>Postgres:Mode</c> (auto | container | local | external) says. Every consumer referencing it gets
    /// <c>ConnectionStrings__{name}</c>, whichever the mode.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddPickupDatabase(
        this IDistributedApplicationBuilder builder, string name = "pickup")
    {
        var mode = PostgresModeResolver.Resolve(builder, name);
        // Chosen explicitly without a container runtime, the container would wait forever: say so up front.
        var noRuntime = mode == PostgresMode.Container && builder.ExecutionContext.IsRunMode
            && !PostgresModeResolver.ContainerRuntimeAnswers(builder);
        builder.Eventing.Subscribe<BeforeStartEvent>((@event, _) =>
        {
            var logger = @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger(PostgresLog.Category);
            PostgresLog.ModeChosen(logger, mode, builder.Configuration[PostgresModeResolver.ModeKey] ?? "auto");
            if (noRuntime) PostgresLog.NoContainerRuntime(logger);
            return Task.CompletedTask;
        });

        return mode switch
        {
            PostgresMode.External => builder.AddConnectionString(name),
            PostgresMode.Local => builder.AddLocalPostgres("postgres", name),
            _ => builder.AddPostgres("postgres").WithDataVolume().AddDatabase(name),
        };
    }
}
