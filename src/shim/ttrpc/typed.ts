// Puts a proto service's types on ttrpc handlers: each request is decoded
// with the method's input type (src/shim/types.ts TO_OBJECT; an Any of a
// type we have also carries the decoded `object`), the reply
// encoded with its output type. Methods the implementation lacks are left
// unregistered, so callers get UNIMPLEMENTED.
import type { Handler, TtrpcServer } from './server';
import { decodeWithAnys, encode, methods } from './proto';

export type TypedImpl = Partial<Record<string, (req: Record<string, any>) => Promise<Record<string, any>>>>;

export function registerTyped(server: TtrpcServer, service: string, impl: TypedImpl): void {
  const handlers: Record<string, Handler> = {};
  for (const [name, m] of methods(service)) {
    const fn = impl[name];
    if (typeof fn !== 'function') continue;
    handlers[name] = async (payload) =>
      encode(m.response, (await fn.call(impl, decodeWithAnys(m.request, payload))) ?? {});
  }
  server.register(service, handlers);
}
