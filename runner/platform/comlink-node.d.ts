// comlink ships its Node adapter's types as node-adapter.d.ts beside node-adapter.mjs, which
// TypeScript does not pair with an .mjs import: the same declaration, by the import's name.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  import type { NodeEndpoint } from 'comlink/dist/esm/node-adapter';
  export default function nodeEndpoint(nep: NodeEndpoint): Endpoint;
}
