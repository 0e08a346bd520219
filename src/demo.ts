// `npm start`: the classic job. Train the reference autoencoder on the 60,000 MNIST training
// images, report each epoch, then the test-set error, and draw test originals beside their
// reconstructions in out/reconstructions.png.
import { mkdir, writeFile, rename } from 'node:fs/promises';
import { Autoencoder } from './index.js';
import { loadMnist } from './data/mnist.js';
import { comparisonPng } from './image/png.js';

const EPOCHS = 5;
const SHOWN = 25;

async function main(): Promise<void> {
  const started = performance.now();
  const { train, test } = await loadMnist();
  console.log(`MNIST: ${train.count} training and ${test.count} test images of ${train.rows}×${train.cols}`);
  const ae = await Autoencoder.create({
    inputShape: [28, 28, 1], encoder: [64, 32], latent: 32, decoder: [32, 64],
    activation: 'relu', latentActivation: 'linear', output: 'sigmoid', loss: 'mse',
    optimizer: { type: 'adam', learningRate: 1e-3 }, seed: 42,
  });
  console.log(`model: 784-64-32 → code 32 → 32-64-784, ${ae.paramCount} parameters; kernels: ${ae.backend.kernels} SIMD, ${ae.backend.threads} thread${ae.backend.threads > 1 ? 's' : ''}`);
  await ae.fit(train, {
    epochs: EPOCHS, batchSize: 256, shuffle: true, validation: test,
    onEpochEnd: (log) => console.log(
      `epoch ${log.epoch}/${EPOCHS}  loss ${log.loss.toFixed(5)}  val MSE ${log.valMse!.toFixed(5)}  ` +
      `${Math.round(log.samplesPerSec).toLocaleString('en-US')} samples/s  ${log.seconds.toFixed(2)} s`),
  });
  const { mse, psnr } = ae.evaluate(test);
  console.log(`test set (${test.count} images): MSE ${mse.toFixed(5)}, PSNR ${psnr.toFixed(2)} dB`);

  const originals = test.images.subarray(0, SHOWN * 784);
  const png = comparisonPng(originals, ae.reconstruct(originals), { count: SHOWN, width: 28, height: 28, cols: 5, scale: 3 });
  await mkdir('out', { recursive: true });
  // Write beside, then rename: a failed write never leaves half a picture.
  await writeFile('out/reconstructions.png.tmp', png);
  await rename('out/reconstructions.png.tmp', 'out/reconstructions.png');
  console.log(`wrote out/reconstructions.png (${SHOWN} test originals beside their reconstructions) in ${((performance.now() - started) / 1000).toFixed(1)} s total`);
  ae.dispose();
}

main().catch((error: Error) => {
  console.error(`error: ${error.message}`);
  process.exitCode = 1;
});
