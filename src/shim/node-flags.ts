// The Node/V8 flags of the serving shim (start.ts spawns it with them; its
// lifecycle worker threads inherit them). Each one measured with
// bench/pods.sh and bench/shim.sh (README "Pods" has the figures and the
// flags tried and rejected).
//
// --max-semi-space-size=1: the young generation stays at 1 MiB per
// semi-space. V8 grows it (up to 16 MiB each on 64-bit) when a lot
// survives or is allocated, and never gives it back while the process
// lives; a shim serving many pods allocates steadily (every container's OOM
// counter is read 10 times a second, each read a few short-lived strings),
// so its young generation grew to 6-7 MiB resident within seconds, which is
// more than the shim's whole old generation. Scavenging 1 MiB is cheap: the
// shim keeps little young data alive.
export const SERVE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
