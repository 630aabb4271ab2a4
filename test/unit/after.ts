// test:unit's `after` (instead of test/after-all.ts, which inspects the
// whole host as root): unit tests start no containers, so there is nothing
// on the host to check.
export {};
