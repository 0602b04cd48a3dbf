using BenchmarkDotNet.Running;

// Microbenchmarks of the hot paths. Run all, or pick with --filter, e.g.:
//   dotnet run -c Release --project tests/Benchmarks -- --filter '*Envelope*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
