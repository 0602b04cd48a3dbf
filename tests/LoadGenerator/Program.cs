using LoadGenerator;

// Load generator for the PickupAspire mediator (issue 6). See README.md in this folder; `--help` lists the options.
LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (ArgumentException e)
{
    if (e.Message.Length > 0) Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(LoadOptions.Usage);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
return await new LoadRun(options, Console.Out).RunAsync(cancel.Token);
