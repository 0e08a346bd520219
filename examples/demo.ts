// `npm start`: the classic job. Train the reference autoencoder on the 60,000 MNIST training
// images, report each epoch, then the test-set error, and draw test originals beside their
// reconstructions in out/reconstructions.png. `npm start -- --model conv` does the same with the
// convolutional model and writes out/reconstructions-conv.png.
import { mkdir, writeFile, rename } from 'node:fs/promises';
import { Autoencoder, type AutoencoderOptions } from 'wasm-autoencoder';
import { loadMnist } from 'wasm-autoencoder/mnist';
import { comparisonPng } from 'wasm-autoencoder/image';

const EPOCHS = 5;
const SHOWN = 25;

const COMMON: AutoencoderOptions = {
  inputShape: [28, 28, 1],
  latent: 32,
  activation: 'relu',
  latentActivation: 'linear',
  output: 'sigmoid',
  loss: 'mse',
  optimizer: { type: 'adam', learningRate: 1e-3 },
  seed: 42,
};
const MODELS: Record<string, { options: AutoencoderOptions; picture: string }> = {
  dense: { options: { ...COMMON, encoder: [64, 32], decoder: [32, 64] }, picture: 'out/reconstructions.png' },
  conv: {
    options: {
      ...COMMON,
      decoder: 'mirror',
      encoder: [
        { type: 'conv2d', filters: 16, kernelSize: 3, strides: 2 },
        { type: 'conv2d', filters: 32, kernelSize: 3, strides: 2 },
      ],
    },
    picture: 'out/reconstructions-conv.png',
  },
};

function modelName(): string {
  const at = process.argv.indexOf('--model');
  const name = at >= 0 ? process.argv[at + 1] : 'dense';
  if (!(name in MODELS)) throw new Error(`--model must be ${Object.keys(MODELS).join(' or ')}, got ${name}`);
  return name;
}

async function main(): Promise<void> {
  const started = performance.now();
  const { options, picture } = MODELS[modelName()];
  const { train, test } = await loadMnist();
  console.log(`MNIST: ${train.count} training and ${test.count} test images of ${train.rows}×${train.cols}`);
  const ae = await Autoencoder.create(options);
  console.log(ae.summary());
  console.log(`kernels: ${ae.backend.kernels} SIMD, ${ae.backend.threads} thread${ae.backend.threads > 1 ? 's' : ''}`);
  await ae.fit(train, {
    epochs: EPOCHS,
    batchSize: 256,
    shuffle: true,
    validation: test,
    onEpochEnd: (log) =>
      console.log(
        `epoch ${log.epoch}/${EPOCHS}  loss ${log.loss.toFixed(5)}  val MSE ${log.valMse!.toFixed(5)}  ` +
          `${Math.round(log.samplesPerSec).toLocaleString('en-US')} samples/s  ${log.seconds.toFixed(2)} s`,
      ),
  });
  const { mse, psnr } = ae.evaluate(test);
  console.log(`test set (${test.count} images): MSE ${mse.toFixed(5)}, PSNR ${psnr.toFixed(2)} dB`);

  const originals = test.images.subarray(0, SHOWN * 784);
  const png = comparisonPng(originals, ae.reconstruct(originals), {
    count: SHOWN,
    width: 28,
    height: 28,
    cols: 5,
    scale: 3,
  });
  await mkdir('out', { recursive: true });
  // Write beside, then rename: a failed write never leaves half a picture.
  await writeFile(`${picture}.tmp`, png);
  await rename(`${picture}.tmp`, picture);
  console.log(
    `wrote ${picture} (${SHOWN} test originals beside their reconstructions) in ${((performance.now() - started) / 1000).toFixed(1)} s total`,
  );
  await ae.dispose();
}

main().catch((error: Error) => {
  console.error(`error: ${error.message}`);
  process.exitCode = 1;
});
