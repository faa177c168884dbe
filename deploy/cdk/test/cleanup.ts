import { removeOutdirs } from './support';

// Synthesized assemblies go to temporary directories; leave none behind.
afterAll(() => removeOutdirs());
