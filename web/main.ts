// The demo page: trains the reference model or a convolutional one (the model select, or ?model=conv)
// on MNIST in this page (worker threads when the page is cross-origin isolated), for the epochs in
// the epochs box (or ?epochs=); Retrain stops the training in progress and starts again with them.
// It shows the loss and the progress as batches go, redraws test digits and their reconstructions
// between epochs (at most every 250 ms, and after the last), decodes a code edited with sliders,
// and samples a small VAE (untrained until its button is pressed). Every canvas is drawn from the
// start: the originals as soon as the digits arrive, the reconstructions and the samples from the
// untrained models.
//
// Progress is on window.__demo for the browser test (test/runtimes/browser.test.ts).
import { Autoencoder, type EpochLog } from 'wasm-autoencoder';
import { parseIdx } from 'wasm-autoencoder/idx';
import { decodeImage, imageGrid, type PixelImage } from 'wasm-autoencoder/image';

// ---- settings (query string) ----------------------------------------------------------------

const query = new URLSearchParams(location.search);

function intParam(name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max)
    throw new Error(`?${name}= must be an integer in [${min}, ${max}], got ${raw}`);
  return v;
}

type ModelChoice = 'dense' | 'conv';

/** Epochs when neither ?epochs= nor the epochs box says otherwise, so that either model trains
 *  long enough to watch (some seconds; a conv epoch takes several times a dense one). */
const DEFAULT_EPOCHS: Record<ModelChoice, number> = { dense: 30, conv: 8 };

function settingsFromQuery() {
  const model = query.get('model') || 'dense';
  if (model !== 'dense' && model !== 'conv') throw new Error(`?model= must be dense or conv, got ${model}`);
  const threadsRaw = query.get('threads') ?? 'auto';
  const kernels = query.get('kernels') ?? 'auto';
  if (kernels !== 'auto' && kernels !== 'simd' && kernels !== 'relaxed')
    throw new Error(`?kernels= must be auto, simd or relaxed, got ${kernels}`);
  return {
    /** Which model to train: the reference (dense) or the convolutional one. */
    model: model as ModelChoice,
    /** Training images (the first n of MNIST's training set). */
    n: intParam('n', 5000, 1, 60000),
    /** Test images: validation, the grid, the decoder. */
    test: intParam('test', 1000, 16, 10000),
    /** ?epochs=, or null for the model's default. */
    epochs: query.get('epochs') ? intParam('epochs', 1, 1, 1000) : null,
    batch: intParam('batch', 64, 1, 65536),
    threads: threadsRaw === 'auto' ? ('auto' as const) : intParam('threads', 1, 1, 64),
    kernels: kernels as 'auto' | 'simd' | 'relaxed',
    seed: intParam('seed', 42, 0, 0xffffffff),
    /** 1: train the VAE right after the main model (otherwise on a click). */
    vae: intParam('vae', 0, 0, 1) === 1,
    vaeEpochs: intParam('vaeEpochs', 10, 1, 1000),
  };
}

/** The reference model of the benchmarks (bench/reference.js). */
const REFERENCE = {
  inputShape: [28, 28, 1] as [number, number, number],
  encoder: [64, 32],
  latent: 32,
  decoder: [32, 64],
  activation: 'relu' as const,
  latentActivation: 'linear' as const,
  output: 'sigmoid' as const,
  loss: 'mse' as const,
  optimizer: { type: 'adam' as const, learningRate: 1e-3 },
};

/** The same with two stride-2 conv2d layers as the encoder, mirrored by conv2dTranspose layers. */
const CONV = {
  ...REFERENCE,
  encoder: [
    { type: 'conv2d' as const, filters: 16, kernelSize: 3, strides: 2 },
    { type: 'conv2d' as const, filters: 32, kernelSize: 3, strides: 2 },
  ],
  decoder: 'mirror' as const,
};

const MODELS = { dense: REFERENCE, conv: CONV };

// ---- state exposed to tests -------------------------------------------------------------------

interface GridLayout {
  count: number;
  cols: number;
  scale: number;
  pad: number;
  size: number;
  /** Top-left corners of the two grids on the canvas. */
  originals: { x: number; y: number };
  reconstructions: { x: number; y: number };
}

type Settings = ReturnType<typeof settingsFromQuery>;

const demo = {
  /** The query's settings, with the model and epochs of the training in progress (or last). */
  settings: null as (Omit<Settings, 'epochs'> & { epochs: number }) | null,
  isolated: globalThis.crossOriginIsolated === true,
  hardwareConcurrency: navigator.hardwareConcurrency,
  kernels: null as string | null,
  threads: null as number | null,
  note: null as string | null,
  /** Trainings started (the first, then one per Retrain). */
  runs: 0,
  /** True from the moment the current run starts fit() until it settles. */
  training: false,
  /** Loss of every batch of the current run, in order. */
  losses: [] as number[],
  lastBatch: null as { loss: number; batch: number; batches: number } | null,
  epochs: [] as EpochLog[],
  /** How many times the grid was drawn with reconstructions in this run, and after which epoch
   *  each time (0: the untrained model). */
  redraws: 0,
  redrawEpochs: [] as number[],
  /** The originals drawn before any model existed. */
  originalsDrawn: false,
  grid: null as GridLayout | null,
  /** The chosen test image's code, as the decoder panel shows it. */
  codes: null as number[] | null,
  decodes: 0,
  modelId: null as string | null,
  seconds: null as number | null,
  /** performance.now() when fit() was called and when it returned (the browser test's window for
   *  main-thread long tasks). */
  trainingStarted: null as number | null,
  trainingEnded: null as number | null,
  /** The current run trained all its epochs. */
  done: false,
  /** A run that ended because Retrain stopped it. */
  stopped: 0,
  error: null as string | null,
  vae: {
    done: false,
    threads: null as number | null,
    losses: [] as number[],
    samples: 0,
    error: null as string | null,
  },
  /** The library as the page loaded it, for tests that run their own calls in the page. */
  lib: { Autoencoder, parseIdx, decodeImage },
  model: null as Autoencoder | null,
  vaeModel: null as Autoencoder | null,
};
(globalThis as unknown as { __demo: typeof demo }).__demo = demo;

// ---- DOM helpers ----------------------------------------------------------------------------

function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} is missing from the page`);
  return e as T;
}
const setText = (id: string, text: string): void => {
  el(id).textContent = text;
};

/** Puts a grey, RGB or RGBA image on a canvas at (x, y). */
function drawImage(ctx: CanvasRenderingContext2D, img: PixelImage, x: number, y: number): void {
  const channels = img.channels ?? 1;
  const rgba = new ImageData(img.width, img.height);
  for (let p = 0, s = 0; p < img.width * img.height; p++, s += channels) {
    rgba.data[4 * p] = img.data[s];
    rgba.data[4 * p + 1] = img.data[channels >= 3 ? s + 1 : s];
    rgba.data[4 * p + 2] = img.data[channels >= 3 ? s + 2 : s];
    rgba.data[4 * p + 3] = channels === 4 ? img.data[s + 3] : 255;
  }
  ctx.putImageData(rgba, x, y);
}

function context(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2D canvas context');
  return ctx;
}

// ---- MNIST from the dev server ------------------------------------------------------------------

async function fetchIdx(name: string, count: number): Promise<Uint8Array> {
  const response = await fetch(`/mnist/${name}?count=${count}`);
  if (!response.ok) throw new Error(`GET /mnist/${name}: HTTP ${response.status} ${await response.text()}`);
  const idx = parseIdx(new Uint8Array(await response.arrayBuffer()), name);
  return idx.data as Uint8Array;
}

// ---- loss chart and progress ------------------------------------------------------------------

/** The batch loss text, the progress bar and the chart are redrawn at most this often: every frame
 *  would be work for the page's thread, which trains as thread 0 when the page is cross-origin
 *  isolated. The grid of reconstructions too (between epochs: the model is busy within one). */
const PROGRESS_EVERY_MS = 250;
let progressQueued = false;
let lastProgress = -Infinity;

/** Redraws the batch loss text and the chart soon: on the next frame, or later if they were redrawn
 *  less than PROGRESS_EVERY_MS ago. */
function queueProgress(): void {
  if (progressQueued) return;
  progressQueued = true;
  setTimeout(
    () =>
      requestAnimationFrame(() => {
        progressQueued = false;
        lastProgress = performance.now();
        drawProgress();
      }),
    Math.max(0, lastProgress + PROGRESS_EVERY_MS - performance.now()),
  );
}

function drawProgress(): void {
  const last = demo.lastBatch;
  const epochs = demo.settings?.epochs ?? 1;
  if (last) {
    setText('loss', `${last.loss.toFixed(5)} (batch ${last.batch}/${last.batches})`);
    // lastBatch belongs to the epoch after the last one logged, unless it ended that epoch.
    const epochsDone = demo.epochs.length - (last.batch === last.batches && demo.epochs.length > 0 ? 1 : 0);
    el<HTMLProgressElement>('progress').value = Math.min(1, (epochsDone + last.batch / last.batches) / epochs);
  } else {
    el<HTMLProgressElement>('progress').value = 0;
  }
  drawLossChart();
}

function drawLossChart(): void {
  const canvas = el<HTMLCanvasElement>('loss-chart');
  const ctx = context(canvas);
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = '#888';
  ctx.font = '11px system-ui, sans-serif';
  const losses = demo.losses;
  if (losses.length < 2) {
    ctx.fillText('loss per batch: drawn here as training runs', 6, 14);
    ctx.strokeStyle = '#8888';
    ctx.beginPath();
    ctx.moveTo(4, height - 4);
    ctx.lineTo(width - 4, height - 4);
    ctx.stroke();
    return;
  }
  const max = Math.max(...losses),
    min = Math.min(...losses);
  const span = max - min || 1;
  ctx.strokeStyle = '#3b82f6';
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (let i = 0; i < losses.length; i++) {
    const x = 4 + ((width - 8) * i) / (losses.length - 1);
    const y = 4 + (height - 8) * (1 - (losses[i] - min) / span);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  }
  ctx.stroke();
  ctx.fillText(max.toFixed(4), 6, 14);
  ctx.fillText(min.toFixed(4), 6, height - 6);
}

// ---- originals / reconstructions grid ----------------------------------------------------------

const GRID_COUNT = 10,
  GRID_SCALE = 3,
  GRID_PAD = 1,
  GRID_GAP = 8,
  SIZE = 28;

/** The test digits (top) and, with a model, their reconstructions (bottom; empty cells without). */
function drawGrid(ae: Autoencoder | null, testImages: Uint8Array, epoch: number): void {
  const originals = testImages.subarray(0, GRID_COUNT * SIZE * SIZE);
  const options = { count: GRID_COUNT, width: SIZE, height: SIZE, cols: GRID_COUNT, scale: GRID_SCALE, pad: GRID_PAD };
  const top = imageGrid(originals, options);
  const bottom = imageGrid(ae ? ae.reconstruct(originals) : new Uint8Array(originals.length), options);
  const canvas = el<HTMLCanvasElement>('grid');
  if (canvas.width !== top.width || canvas.height !== top.height * 2 + GRID_GAP) {
    canvas.width = top.width;
    canvas.height = top.height * 2 + GRID_GAP;
  }
  const ctx = context(canvas);
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  drawImage(ctx, top, 0, 0);
  drawImage(ctx, bottom, 0, top.height + GRID_GAP);
  demo.grid = {
    count: GRID_COUNT,
    cols: GRID_COUNT,
    scale: GRID_SCALE,
    pad: GRID_PAD,
    size: SIZE,
    originals: { x: 0, y: 0 },
    reconstructions: { x: 0, y: top.height + GRID_GAP },
  };
  if (ae) {
    demo.redraws++;
    demo.redrawEpochs.push(epoch);
  } else {
    demo.originalsDrawn = true;
  }
}

// ---- decode this code ---------------------------------------------------------------------------

const SLIDERS = 4;

class DecoderPanel {
  private code: Float32Array | null = null;
  private ranges: { min: number; max: number }[] = [];
  private readonly sliders: HTMLInputElement[] = [];
  private readonly outputs: HTMLOutputElement[] = [];

  constructor(
    private readonly testImages: Uint8Array,
    private readonly count: number,
    private readonly busy: () => boolean,
    private model: () => Autoencoder | null,
  ) {
    const box = el('sliders');
    for (let d = 0; d < SLIDERS; d++) {
      const label = document.createElement('label');
      label.textContent = `code[${d}]`;
      label.htmlFor = `dim-${d}`;
      const input = document.createElement('input');
      input.type = 'range';
      input.id = `dim-${d}`;
      input.disabled = true;
      input.addEventListener('input', () => this.render());
      const out = document.createElement('output');
      out.htmlFor.add(input.id);
      box.append(label, input, out);
      this.sliders.push(input);
      this.outputs.push(out);
    }
    const index = el<HTMLInputElement>('image-index');
    index.max = String(count - 1);
    index.addEventListener('change', () => this.refresh());
    el('reset-code').addEventListener('click', () => this.refresh());
  }

  private index(): number {
    const v = Number(el<HTMLInputElement>('image-index').value);
    return Number.isInteger(v) && v >= 0 && v < this.count ? v : 0;
  }

  /** The chosen test image on its canvas (needs no model). */
  drawOriginal(): void {
    const i = this.index();
    const original = imageGrid(this.testImages.subarray(i * SIZE * SIZE, (i + 1) * SIZE * SIZE), {
      count: 1,
      width: SIZE,
      height: SIZE,
      cols: 1,
      scale: 4,
      pad: 0,
    });
    drawImage(context(el<HTMLCanvasElement>('decoder-original')), original, 0, 0);
  }

  /** After an epoch (or a new image): slider ranges from the test codes, sliders at the image's code. */
  refresh(): void {
    this.drawOriginal();
    const ae = this.model();
    if (!ae || this.busy()) return;
    const L = ae.latentSize;
    const codes = ae.encode(this.testImages);
    this.ranges = [];
    for (let d = 0; d < SLIDERS; d++) {
      let min = Infinity,
        max = -Infinity;
      for (let i = 0; i < this.count; i++) {
        const v = codes[i * L + d];
        if (v < min) min = v;
        if (v > max) max = v;
      }
      const margin = 0.1 * (max - min || 1);
      this.ranges.push({ min: min - margin, max: max + margin });
    }
    const i = this.index();
    this.code = codes.slice(i * L, (i + 1) * L);
    for (let d = 0; d < SLIDERS; d++) {
      const s = this.sliders[d],
        { min, max } = this.ranges[d];
      s.min = String(min);
      s.max = String(max);
      s.step = String((max - min) / 200);
      s.value = String(this.code[d]);
      s.disabled = false;
    }
    this.render();
  }

  /** Decodes the code with the sliders' values in its first dimensions. */
  render(): void {
    const ae = this.model();
    if (!ae || !this.code || this.busy()) return;
    const code = this.code.slice();
    for (let d = 0; d < SLIDERS; d++) {
      code[d] = Number(this.sliders[d].value);
      this.outputs[d].value = code[d].toFixed(3);
    }
    const image = ae.decode(code);
    drawImage(
      context(el<HTMLCanvasElement>('decoded')),
      imageGrid(image, { count: 1, width: SIZE, height: SIZE, cols: 1, scale: 4, pad: 0 }),
      0,
      0,
    );
    demo.codes = Array.from(code);
    demo.decodes++;
  }
}

// ---- the variational model ------------------------------------------------------------------------

/** The VAE's options: its untrained preview and the model its button trains have the same
 *  seed, so the same initial weights. */
function vaeOptions(settings: Settings, threads: Settings['threads']) {
  return {
    inputShape: [28, 28, 1] as [number, number, number],
    encoder: [128, 64],
    latent: 8,
    decoder: [64, 128],
    activation: 'relu' as const,
    output: 'sigmoid' as const,
    loss: 'bce' as const,
    variational: true,
    optimizer: { type: 'adam' as const, learningRate: 1e-3 },
    seed: settings.seed,
    threads,
    kernels: settings.kernels,
  };
}

/** The untrained VAE's samples, drawn at once. The preview model is disposed right after, so that
 *  no idle model (and worker pool) sits beside the main one while it trains; the button trains a
 *  VAE with the same seed, so from the same start. */
async function previewVae(settings: Settings): Promise<void> {
  const preview = await Autoencoder.create(vaeOptions(settings, settings.threads));
  try {
    drawSamples(preview);
  } finally {
    await preview.dispose();
  }
  setText('vae-status', 'untrained: its samples are noise until you train it');
}

async function trainVae(train: Uint8Array, count: number, settings: Settings): Promise<void> {
  if (vaeTraining || active !== null || demo.vae.done) return;
  const button = el<HTMLButtonElement>('train-vae');
  button.disabled = true;
  vaeTraining = true;
  updateButtons();
  try {
    setText('vae-status', 'training the VAE…');
    const vae = await Autoencoder.create(vaeOptions(settings, settings.threads));
    demo.vaeModel = vae;
    demo.vae.threads = vae.backend.threads;
    const history = await vae.fit(train, {
      epochs: settings.vaeEpochs,
      batchSize: settings.batch,
      onBatchEnd: (log) => demo.vae.losses.push(log.loss),
      onEpochEnd: (log) =>
        setText('vae-status', `VAE epoch ${log.epoch}/${settings.vaeEpochs}: loss ${log.loss.toFixed(4)}`),
    });
    const last = history.epochs[history.epochs.length - 1];
    setText(
      'vae-status',
      `VAE trained on ${count} digits, ${settings.vaeEpochs} epochs (loss ${last.loss.toFixed(4)}), ${vae.backend.threads} thread(s)`,
    );
    demo.vae.done = true;
    vaeTraining = false;
    el<HTMLButtonElement>('sample').disabled = false;
    drawSamples(vae);
  } catch (error) {
    demo.vae.error = describe(error);
    setText('vae-status', `VAE failed: ${demo.vae.error}`);
    button.disabled = false;
  } finally {
    vaeTraining = false;
    updateButtons();
  }
}

function drawSamples(vae: Autoencoder | null = demo.vaeModel): void {
  if (!vae || vaeTraining) return;
  const seed = Number(el<HTMLInputElement>('seed').value);
  const images = vae.sample(16, { seed: Number.isInteger(seed) && seed >= 0 ? seed : 0 });
  const grid = imageGrid(images, { count: 16, width: SIZE, height: SIZE, cols: 4, scale: 3, pad: 1 });
  const canvas = el<HTMLCanvasElement>('samples');
  canvas.width = grid.width;
  canvas.height = grid.height;
  drawImage(context(canvas), grid, 0, 0);
  demo.vae.samples++;
}

// ---- training runs ------------------------------------------------------------------------------

let vaeTraining = false;
/** The run in progress: its abort controller and a promise that settles when it has ended. */
let active: { abort: AbortController; settled: Promise<void> } | null = null;
let runToken = 0;
/** Whether the epochs box was set by hand (or by ?epochs=): then a model change keeps it. */
let epochsChosen = false;

function updateButtons(): void {
  el<HTMLButtonElement>('retrain').disabled = vaeTraining;
  el<HTMLButtonElement>('train-vae').disabled = vaeTraining || active !== null || demo.vae.done;
}

/** The model and epochs the controls show, checked. */
function chosen(): { model: ModelChoice; epochs: number } {
  const model = el<HTMLSelectElement>('model').value === 'conv' ? 'conv' : 'dense';
  const box = el<HTMLInputElement>('epoch-count');
  const epochs = Number(box.value);
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > 1000) {
    box.value = String(DEFAULT_EPOCHS[model]);
    return { model, epochs: DEFAULT_EPOCHS[model] };
  }
  return { model, epochs };
}

/** The controls' settings in the address (replaceState: a reload trains the same, no reload now). */
function rememberInAddress(model: ModelChoice, epochs: number): void {
  const next = new URLSearchParams(location.search);
  next.set('model', model);
  next.set('epochs', String(epochs));
  history.replaceState(null, '', `?${next}`);
  const toggle = el<HTMLAnchorElement>('toggle-isolation');
  const other = new URLSearchParams(next);
  if (other.get('isolated') === '0') other.delete('isolated');
  else other.set('isolated', '0');
  toggle.href = `?${other}`;
}

interface PageData {
  train: Uint8Array;
  testImages: Uint8Array;
  decoder: DecoderPanel;
  base: Settings;
}

/** Stops the run in progress (after its current step) and starts one with the controls' settings. */
async function retrain(data: PageData): Promise<void> {
  const token = ++runToken;
  const previous = active;
  if (previous) {
    previous.abort.abort(new Error('stopped by Retrain'));
    await previous.settled;
  }
  if (token !== runToken) return; // a later click took over
  const abort = new AbortController();
  let settle!: () => void;
  active = {
    abort,
    settled: new Promise<void>((resolve) => {
      settle = resolve;
    }),
  };
  updateButtons();
  try {
    await run(data, abort.signal);
  } catch (error) {
    if (abort.signal.aborted) {
      demo.stopped++;
      setText('status', 'stopped; starting again…');
    } else {
      throw error;
    }
  } finally {
    demo.training = false;
    if (active?.abort === abort) active = null;
    updateButtons();
    settle();
  }
}

async function run({ train, testImages, decoder, base }: PageData, signal: AbortSignal): Promise<void> {
  const { model, epochs } = chosen();
  rememberInAddress(model, epochs);
  const settings = { ...base, model, epochs };
  demo.settings = settings;
  demo.runs++;
  Object.assign(demo, {
    losses: [],
    lastBatch: null,
    epochs: [],
    redraws: 0,
    redrawEpochs: [],
    modelId: null,
    seconds: null,
    trainingStarted: null,
    trainingEnded: null,
    done: false,
  });
  el('epochs').replaceChildren();
  setText('epoch', `– / ${epochs}`);
  setText('loss', '–');
  drawProgress();
  setText(
    'data',
    `${settings.n} training digits, ${settings.test} test digits, batch ${settings.batch}, ${epochs} epochs`,
  );

  const old = demo.model;
  demo.model = null;
  await old?.dispose();
  setText('status', 'compiling the kernels and starting the workers…');
  const ae = await Autoencoder.create({
    ...MODELS[model],
    seed: settings.seed,
    threads: settings.threads,
    kernels: settings.kernels,
  });
  demo.model = ae;
  signal.throwIfAborted();
  setText('params', ae.paramCount.toLocaleString('en'));
  setText('summary', ae.summary());
  demo.kernels = ae.backend.kernels;
  demo.threads = ae.backend.threads;
  demo.note = ae.backend.note ?? null;
  setText('kernels', ae.backend.kernels);
  setText('threads', String(ae.backend.threads));
  if (ae.backend.note) showNotice(`ae.backend.note: ${ae.backend.note}`);

  drawGrid(ae, testImages, 0);
  decoder.refresh();
  let lastGrid = performance.now();

  const started = performance.now();
  // One fit() call; the grid and the decoder are redrawn from onEpochEnd, where the model takes
  // read-only calls between epochs.
  setText('status', `training: epoch 1 of ${epochs}`);
  demo.training = true;
  updateButtons();
  // A fresh task for fit(), so that the set-up above (drawing, encoding the test digits) is not
  // counted as training in the page's long-task figures.
  await new Promise((resolve) => setTimeout(resolve, 0));
  signal.throwIfAborted();
  demo.trainingStarted = performance.now();
  try {
    await ae.fit(train, {
      epochs,
      batchSize: settings.batch,
      validation: testImages,
      signal,
      onBatchEnd: (log) => {
        demo.losses.push(log.loss);
        demo.lastBatch = log;
        queueProgress();
      },
      onEpochEnd: (log) => {
        demo.epochs.push(log);
        setText('epoch', `${log.epoch} / ${epochs}`);
        const item = document.createElement('li');
        item.textContent =
          `loss ${log.loss.toFixed(5)}, test MSE ${log.valMse!.toFixed(5)} (PSNR ${log.valPsnr!.toFixed(2)} dB), ` +
          `${Math.round(log.samplesPerSec).toLocaleString('en')} samples/s`;
        el('epochs').append(item);
        if (log.epoch === epochs || performance.now() - lastGrid >= PROGRESS_EVERY_MS) {
          demo.training = false;
          try {
            drawGrid(ae, testImages, log.epoch);
            decoder.refresh();
          } finally {
            demo.training = true;
          }
          lastGrid = performance.now();
        }
        queueProgress();
        if (log.epoch < epochs) setText('status', `training: epoch ${log.epoch + 1} of ${epochs}`);
      },
    });
  } finally {
    demo.training = false;
    demo.trainingEnded = performance.now();
  }
  demo.seconds = (performance.now() - started) / 1000;
  demo.modelId = ae.modelId();
  setText('status', `done: ${epochs} epochs in ${demo.seconds.toFixed(1)} s`);
  drawProgress();
  demo.done = true;
}

// ---- main -------------------------------------------------------------------------------------

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function showNotice(text: string): void {
  const notice = el('notice');
  notice.textContent = text;
  notice.hidden = false;
}

/** The controls, at the query's settings (or the defaults); a model change sets the epochs box to
 *  that model's default unless it was chosen. */
function setUpControls(): void {
  const select = el<HTMLSelectElement>('model');
  select.value = query.get('model') === 'conv' ? 'conv' : 'dense';
  const box = el<HTMLInputElement>('epoch-count');
  epochsChosen = Boolean(query.get('epochs'));
  box.value = query.get('epochs') || String(DEFAULT_EPOCHS[select.value as ModelChoice]);
  box.addEventListener('input', () => {
    epochsChosen = true;
  });
  select.addEventListener('change', () => {
    if (!epochsChosen) box.value = String(DEFAULT_EPOCHS[select.value as ModelChoice]);
  });
}

async function main(): Promise<void> {
  setUpControls(); // before the query is checked, so that the controls can still correct a bad ?model=
  const base = settingsFromQuery();
  const toggle = el<HTMLAnchorElement>('toggle-isolation');
  const other = new URLSearchParams(query);
  if (query.get('isolated') === '0') {
    other.delete('isolated');
    toggle.textContent = 'open cross-origin isolated';
  } else {
    other.set('isolated', '0');
  }
  toggle.href = `?${other}`;
  setText('isolated', String(demo.isolated));
  drawLossChart();

  setText('status', `loading ${base.n} training and ${base.test} test digits…`);
  const [train, testImages] = await Promise.all([
    fetchIdx('train-images-idx3-ubyte', base.n),
    fetchIdx('t10k-images-idx3-ubyte', base.test),
  ]);
  const decoder = new DecoderPanel(
    testImages,
    base.test,
    () => demo.training,
    () => demo.model,
  );
  drawGrid(null, testImages, 0);
  decoder.drawOriginal();

  setText('status', 'compiling the kernels and starting the workers…');
  await previewVae(base);
  const data: PageData = { train, testImages, decoder, base };
  el('controls').addEventListener('submit', (event) => {
    event.preventDefault();
    retrain(data).catch(fail);
  });
  el('train-vae').addEventListener('click', () => void trainVae(train, base.n, base));
  el('sample').addEventListener('click', () => drawSamples());

  await retrain(data);
  if (base.vae && demo.done) await trainVae(train, base.n, base);
}

function fail(error: unknown): void {
  demo.error = describe(error);
  console.error(error);
  setText('status', `failed: ${demo.error}`);
  showNotice(`Failed: ${demo.error}`);
}

main().catch(fail);
