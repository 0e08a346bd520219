// Child of the benchmark: read full MNIST from its IDX files straight into the model's memory
// (Autoencoder.dataset of streamMnist: no copy of the set in JavaScript), train the reference
// model for one epoch with the test set as validation, print peak RSS.
import { Autoencoder } from '../dist/entries/index.js';
import { streamMnist } from '../dist/entries/mnist.js';
import { REFERENCE, BATCH } from './reference.js';

const threads = Number(process.argv[2] ?? 1);
const ae = await Autoencoder.create({ ...REFERENCE, kernels: 'simd', threads });
const train = await ae.dataset(await streamMnist('train', { labels: false }));
const test = await ae.dataset(await streamMnist('test', { labels: false }));
await ae.fit(train, { epochs: 1, batchSize: BATCH, validation: test });
await ae.dispose();
console.log(JSON.stringify({ threads, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
