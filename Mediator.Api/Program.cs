var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddNpgsqlDataSource("pickup");
builder.AddMediatorState();
builder.AddDidcommAgent();
builder.AddOutOfBand();
builder.AddDidExchange();
builder.AddConnectionsProtocol();
builder.AddTrustPing();
builder.AddDiscoverFeatures();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapOutOfBandApi();
app.MapDidcommTransports();

app.Run();
