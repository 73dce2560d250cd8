/** Worker entry: exposes the retrieval API over comlink, nothing else. */
import { expose } from 'comlink';
import { api } from './retrieve';

expose(api);
