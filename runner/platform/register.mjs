// `node --import tsx --import ./runner/platform/register.mjs`: the loader hooks the app's modules
// need to run under Node (platform/wasmUrls.mjs).
import { register } from 'node:module';

register('./wasmUrls.mjs', import.meta.url);
