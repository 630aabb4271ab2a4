// dist/shim-worker.js's entry (bin/containerd-shim-carton-worker.js): a
// lifecycle worker thread of the serving shim (task/lifecycle.ts). Its own
// bundle, without the transport, protobuf and serving code that only the
// main thread runs: every worker isolate holds its script's source, and this
// one is about a third of dist/shim.js (~0.8 MiB less per live worker).
import { serveLifecycle } from './task/lifecycle-worker';

serveLifecycle();
