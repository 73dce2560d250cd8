// Node loader hooks: a codec module's `import wasmUrl from '….wasm?url'` (Vite's asset import in the
// app) gives the file's file: URL here, which the codec's loader reads from disk (platform/fetch.ts
// serves file: URLs for the codecs that fetch their WASM).
export async function resolve(specifier, context, next) {
  if (!specifier.endsWith('?url')) return next(specifier, context);
  const resolved = await next(specifier.slice(0, -'?url'.length), context);
  return { url: `${resolved.url}?url`, format: 'module', shortCircuit: true };
}

export async function load(url, context, next) {
  if (!url.endsWith('?url')) return next(url, context);
  const file = url.slice(0, -'?url'.length);
  return {
    format: 'module',
    shortCircuit: true,
    source: `export default ${JSON.stringify(file)};`,
  };
}
