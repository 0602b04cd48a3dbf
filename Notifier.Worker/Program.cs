using Notifier.Worker;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddNpgsqlDataSource("pickup");
builder.AddNotifier();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapNotifierHubs();

app.Run();
