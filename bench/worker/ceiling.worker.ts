/** Worker entry for the benchmark's ceiling measurements: exposes the ceiling API, nothing else. */
import { expose } from 'comlink';
import { ceiling } from './ceiling';

expose(ceiling);
