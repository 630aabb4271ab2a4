// A synchronous sleep for the few bounded polls that cannot be async (the
// freezer settling, a cgroup emptying): it blocks only this thread, with no
// busy loop. Callers keep their own deadline.
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
