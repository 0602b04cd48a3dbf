using BenchmarkDotNet.Running;

// Microbenchmarks of the hot paths. Run all, or pick with --filter, e.g.:
//   dotnet run -c Release --project tests/Benchmarks -- --filter '*Envelope*' --job short
//   dotnet run -c Release --project tests/Benchmarks -- --filter '*Repository*'
// Repository throughput against pgbench in the same run (not BenchmarkDotNet):
//   dotnet run -c Release --project tests/Benchmarks -- throughput [--clients 16] [--seconds 15]
if (args.Length > 0 && args[0] == "throughput") return await Benchmarks.Pickup.Throughput.RunAsync(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
