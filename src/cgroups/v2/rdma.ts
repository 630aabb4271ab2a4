// v2 rdma: rdma.max is identical to v1's.
export { rdma } from '../v1/rdma';
