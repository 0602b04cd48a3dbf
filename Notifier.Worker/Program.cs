var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddNpgsqlDataSource("pickup");

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
