/** Worker entry for viewing and exporting stored frames: exposes the library API, nothing else. */
import { expose } from 'comlink';
import { library } from './library';

expose(library);
