/** Worker entry for job preparation: exposes the plan API, nothing else. */
import { expose } from 'comlink';
import { planApi } from './plan';

expose(planApi);
