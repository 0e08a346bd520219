// The worker body, the same for Node's worker_threads and browsers' module Workers: instantiate
// the kernels over the shared memory, then run the commands the pool sends.
import { Engine } from '../engine/engine.js';
import { inferRange } from '../engine/infer.js';
import { instantiateKernels } from '../runtime/wasm.js';
import { Barrier, controlWords, Ctl } from './control.js';
import { runEpoch } from './fitLoop.js';
import type { Command, Report } from './messages.js';
import { parentPort } from '#platform';

interface Port {
  post(r: Report): void;
  listen(handler: (c: Command) => void): void;
}

/** The channel to the thread that started this worker: the platform's kind of worker. */
async function connect(): Promise<Port> {
  return (await parentPort()) as Port;
}

let engine: Engine | null = null;
let thread = 0;
let threads = 1;

function serve(port: Port): void {
  port.listen((cmd) => {
    try {
      switch (cmd.type) {
        case 'init': {
          thread = cmd.thread;
          threads = cmd.threads;
          engine = new Engine(instantiateKernels(cmd.module, cmd.memory), cmd.memory, cmd.spec, cmd.optimizer);
          port.post({ type: 'ready', thread });
          break;
        }
        case 'fit': {
          const e = ready();
          const ctl = controlWords(e.arena.memory.buffer, cmd.layout.at.control);
          port.post(runEpoch(e, ctl, thread, threads, cmd, port.post));
          break;
        }
        case 'barriers': {
          const e = ready();
          const barrier = new Barrier(controlWords(e.arena.memory.buffer, cmd.layout.at.control), threads, cmd.spins);
          for (let i = 0; i < cmd.iterations; i++) barrier.arrive();
          port.post({ type: 'barriersDone', thread });
          break;
        }
        case 'infer': {
          const e = ready();
          e.adopt(cmd.layout);
          e.step = cmd.step;
          inferRange(e, e.workspaces[thread], cmd.from, cmd.to, cmd.first, cmd.last, cmd.keepOutputs, cmd.rowErrors);
          const c = controlWords(e.arena.memory.buffer, cmd.layout.at.control);
          Atomics.add(c, Ctl.InferDone, 1);
          Atomics.notify(c, Ctl.InferDone);
          break;
        }
      }
    } catch (error) {
      port.post({
        type: 'error',
        thread,
        message: error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error),
      });
    }
  });
  port.post({ type: 'hello' });
}

// No top-level await: bundlers emit workers in formats (iife) that do not allow it.
void connect().then(serve);

function ready(): Engine {
  if (!engine) throw new Error('wasm-autoencoder worker: command before init');
  return engine;
}
