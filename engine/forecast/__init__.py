"""The forecast: compile a plan to arrays, sample, schedule with the kernel, aggregate; one deterministic
schedule; sweeps over scenarios and the executors that run them; CI gates; recorded snapshots."""
