// v2 pids: pids.max / pids.current are identical to v1's.
export { pids } from '../v1/pids';
