// v2 cpuset: the same cpuset.cpus / cpuset.mems files as v1 (the v2 ones
// start empty meaning "inherit", so nothing is copied down).
export { cpuset } from '../v1/cpuset';
