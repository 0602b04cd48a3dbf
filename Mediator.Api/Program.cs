// The slim builder: Kestrel over HTTP/1.1 and HTTP/2 with what the mediator uses, without the parts it does not (IIS
// integration, HTTP/3 over QUIC, regex route constraints, the Debug and EventSource log providers), so that a replica
// starts with less loaded code and memory (issue 6: 10,000 idle sockets per replica). HTTPS endpoints stay possible.
var builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseKestrelHttpsConfiguration();

builder.AddServiceDefaults();
builder.AddNpgsqlDataSource("pickup");
builder.AddMediatorState();
builder.AddDidcommAgent();
builder.AddDidcommWebSocketConnections();
builder.AddOutOfBand();
builder.AddDidExchange();
builder.AddConnectionsProtocol();
builder.AddTrustPing();
builder.AddDiscoverFeatures();
builder.AddMediatorRouting();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapOutOfBandApi();
app.MapDidcommTransports();

app.Run();
