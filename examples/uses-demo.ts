// `npm run demo:uses`: the uses of an autoencoder on MNIST, each as a picture in out/uses/:
// variational samples and an interpolation, denoising, a 2-D latent space, conditional samples,
// and compression. Prints the figures each picture stands for.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { Autoencoder } from 'wasm-autoencoder';
import { loadMnist } from 'wasm-autoencoder/mnist';
import { encodePng, imageGrid, labelledPanels, scatterPng } from 'wasm-autoencoder/image';
import type { GreyImage } from 'wasm-autoencoder/image';

const OUT = 'out/uses';

async function save(name: string, png: Uint8Array): Promise<void> {
  const path = `${OUT}/${name}`;
  await writeFile(`${path}.tmp`, png);
  await rename(`${path}.tmp`, path);
  console.log(`  wrote ${path}`);
}

function grid(images: Float32Array | Uint8Array, count: number, cols: number, scale = 2): GreyImage {
  return imageGrid(images, { count, width: 28, height: 28, cols, scale, pad: 1 });
}

function psnr(a: Float32Array, clean: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - clean[i] / 255) ** 2;
  return 10 * Math.log10(a.length / se);
}

/** Gaussian noise of standard deviation `sigma` added to pixels in [0, 1] (seeded Box–Muller). */
function noisy(images: Uint8Array, sigma: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const out = new Float32Array(images.length);
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform())),
      t = 2 * Math.PI * uniform();
    out[i] = images[i] / 255 + sigma * r * Math.cos(t);
    if (i + 1 < out.length) out[i + 1] = images[i + 1] / 255 + sigma * r * Math.sin(t);
  }
  return out;
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const { train, test } = await loadMnist();
  const shown = test.images.subarray(0, 10 * 784);

  console.log('variational autoencoder (784-256-128 → 16 → 128-256-784, bce, 10 epochs)');
  const vae = await Autoencoder.create({ encoder: [256, 128], latent: 16, variational: true, loss: 'bce', seed: 1 });
  await vae.fit(train, { epochs: 10, batchSize: 128 });
  await save(
    'samples.png',
    encodePng(labelledPanels([{ title: 'samples', image: grid(vae.sample(64, { seed: 7 }), 64, 8) }])),
  );
  const steps = vae.interpolate(test.images.subarray(0, 784), test.images.subarray(784, 1568), 10);
  await save('interpolation.png', encodePng(labelledPanels([{ title: 'interpolation', image: grid(steps, 10, 10) }])));
  await vae.dispose();

  console.log('denoising autoencoder (784-256-128 → 32 → 128-256-784, trained on gaussian noise σ = 0.3)');
  const dae = await Autoencoder.create({ encoder: [256, 128], latent: 32, seed: 2 });
  await dae.fit(train, { epochs: 10, batchSize: 128, noise: { type: 'gaussian', level: 0.3 } });
  const corrupted = noisy(shown, 0.3, 3);
  const cleaned = dae.denoise(corrupted);
  console.log(
    `  PSNR of the 10 noisy images ${psnr(corrupted, shown).toFixed(2)} dB, denoised ${psnr(cleaned, shown).toFixed(2)} dB`,
  );
  await save(
    'denoising.png',
    encodePng(
      labelledPanels([
        {
          title: 'noisy / denoised / clean',
          image: stack([grid(corrupted, 10, 10), grid(cleaned, 10, 10), grid(shown, 10, 10)]),
        },
      ]),
    ),
  );
  await dae.dispose();

  console.log('2-D latent space (variational, 784-256-128 → 2 → 128-256-784)');
  const flat = await Autoencoder.create({ encoder: [256, 128], latent: 2, variational: true, loss: 'bce', seed: 4 });
  await flat.fit(train, { epochs: 10, batchSize: 128 });
  await save(
    'latent-2d.png',
    scatterPng(flat.encode(test.images.subarray(0, 5000 * 784)), test.labels.subarray(0, 5000), {
      title: 'test codes by digit',
    }),
  );
  await flat.dispose();

  console.log('conditional variational autoencoder (label fed to encoder and decoder)');
  const cvae = await Autoencoder.create({
    encoder: [256, 128],
    latent: 16,
    variational: { beta: 4 },
    loss: 'bce',
    conditional: { classes: 10 },
    seed: 5,
  });
  await cvae.fit(train, { epochs: 10, batchSize: 128 });
  const rows: Float32Array[] = [];
  for (let digit = 0; digit < 10; digit++) rows.push(cvae.sample(10, { label: digit, seed: 100 + digit }));
  const all = new Float32Array(100 * 784);
  rows.forEach((r, d) => {
    all.set(r, d * 10 * 784);
  });
  await save(
    'conditional.png',
    encodePng(labelledPanels([{ title: 'sample(10, label) per row', image: grid(all, 100, 10) }])),
  );
  await cvae.dispose();

  console.log('compression (784-256-128 → 32, codes at 8 bits)');
  const codec = await Autoencoder.create({ encoder: [256, 128], latent: 32, seed: 6 });
  await codec.fit(train, { epochs: 10, batchSize: 128 });
  const bytes = codec.compress(test);
  const { images } = codec.decompress(bytes);
  console.log(
    `  ${(bytes.length / test.count).toFixed(2)} bytes per image (raw: 784), PSNR ${psnr(images, test.images).toFixed(2)} dB over the test set`,
  );
  await save(
    'compression.png',
    encodePng(
      labelledPanels([
        { title: 'originals', image: grid(shown, 10, 5) },
        {
          title: `${(bytes.length / test.count).toFixed(0)} bytes each`,
          image: grid(images.subarray(0, 10 * 784), 10, 5),
        },
      ]),
    ),
  );
  await codec.dispose();
}

/** Grey images one above the other, with a small gap. */
function stack(images: GreyImage[]): GreyImage {
  const width = Math.max(...images.map((i) => i.width));
  const gap = 4;
  const height = images.reduce((h, i) => h + i.height, 0) + gap * (images.length - 1);
  const data = new Uint8Array(width * height);
  let y = 0;
  for (const img of images) {
    for (let r = 0; r < img.height; r++)
      data.set(img.data.subarray(r * img.width, (r + 1) * img.width), (y + r) * width);
    y += img.height + gap;
  }
  return { data, width, height };
}

main().catch((error: Error) => {
  console.error(`error: ${error.message}`);
  process.exitCode = 1;
});
