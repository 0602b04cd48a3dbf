var builder = DistributedApplication.CreateBuilder(args);

// Thin for now: the Aspire issue replaces this with the PostgreSQL mode switch (container | local | external).
var pickup = builder.AddConnectionString("pickup");

builder.AddProject<Projects.Mediator_Api>("mediator-api")
    .WithReference(pickup)
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.Notifier_Worker>("notifier-worker")
    .WithReference(pickup);

builder.Build().Run();
