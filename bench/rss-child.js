// Child of the benchmark: load full MNIST, train the reference model for one epoch, print peak RSS.
import { Autoencoder } from '../dist/index.js';
import { loadMnist } from '../dist/mnist.js';
import { REFERENCE, BATCH } from './reference.js';

const threads = Number(process.argv[2] ?? 1);
const { train, test } = await loadMnist();
const ae = await Autoencoder.create({ ...REFERENCE, kernels: 'simd', threads });
await ae.fit(train, { epochs: 1, batchSize: BATCH, validation: test });
await ae.dispose();
console.log(JSON.stringify({ threads, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
