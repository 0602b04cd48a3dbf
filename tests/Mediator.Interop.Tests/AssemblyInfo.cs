// The scenarios start OS processes (mediators, Node agents) and are CPU-heavy: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
