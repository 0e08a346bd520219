// fit's training control, as Keras users know it: early stopping and learning-rate schedules
// (their options checked, and their state over one fit). Plain rules over the epoch logs.
import type { Engine } from '../engine/engine.js';
import { argError, rejectUnknownOptions } from '../util/errors.js';
import type { EarlyStoppingOptions, EpochLog, LearningRateSchedule } from './types.js';

const FN = 'Autoencoder.fit';

function objectOption(v: unknown, arg: string, keys: readonly string[]): Record<string, unknown> {
  if (v === undefined) throw argError(FN, arg, 'an object', v);
  rejectUnknownOptions(FN, v, keys, `${arg}.`, arg);
  return v as Record<string, unknown>;
}

function numberIn(v: unknown, arg: string, lo: number, hi: number, integer = false): number {
  if (typeof v !== 'number' || !(v >= lo && v <= hi) || (integer && !Number.isInteger(v))) {
    throw argError(FN, arg, `${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}]`, v);
  }
  return v;
}

function monitorOf(v: unknown, arg: string, validated: boolean): 'valLoss' | 'loss' {
  const monitor = v ?? (validated ? 'valLoss' : undefined);
  if (monitor === undefined)
    throw new Error(`${FN}: ${arg} monitors 'valLoss', which needs validation or validationSplit (or monitor 'loss')`);
  if (monitor !== 'valLoss' && monitor !== 'loss') throw argError(FN, arg, "'valLoss' or 'loss'", monitor);
  if (monitor === 'valLoss' && !validated)
    throw new Error(`${FN}: ${arg} 'valLoss' needs validation or validationSplit`);
  return monitor;
}

export function earlyStoppingOf(v: unknown, validated: boolean): Required<EarlyStoppingOptions> | undefined {
  if (v === undefined) return undefined;
  const o = objectOption(v, 'earlyStopping', ['monitor', 'patience', 'minDelta', 'restoreBestWeights']);
  const restore = o.restoreBestWeights ?? false;
  if (typeof restore !== 'boolean') throw argError(FN, 'earlyStopping.restoreBestWeights', 'true or false', restore);
  return {
    monitor: monitorOf(o.monitor ?? 'valLoss', 'earlyStopping.monitor', validated),
    patience: numberIn(o.patience ?? 0, 'earlyStopping.patience', 0, 1e6, true),
    minDelta: numberIn(o.minDelta ?? 0, 'earlyStopping.minDelta', 0, Number.MAX_VALUE),
    restoreBestWeights: restore,
  };
}

export function scheduleOf(v: unknown, validated: boolean, epochs: number): LearningRateSchedule | undefined {
  if (v === undefined) return undefined;
  const type = (v as { type?: unknown } | null)?.type;
  if (type === 'step') {
    const o = objectOption(v, 'learningRateSchedule', ['type', 'every', 'factor']);
    return {
      type,
      every: numberIn(o.every, 'learningRateSchedule.every', 1, 1e6, true),
      factor: numberIn(o.factor, 'learningRateSchedule.factor', 0, 1),
    };
  }
  if (type === 'cosine') {
    const o = objectOption(v, 'learningRateSchedule', ['type', 'epochs', 'minLearningRate']);
    return {
      type,
      epochs: numberIn(o.epochs ?? epochs, 'learningRateSchedule.epochs', 1, 1e6, true),
      minLearningRate: numberIn(o.minLearningRate ?? 0, 'learningRateSchedule.minLearningRate', 0, 10),
    };
  }
  if (type === 'reduceOnPlateau') {
    const o = objectOption(v, 'learningRateSchedule', [
      'type',
      'monitor',
      'factor',
      'patience',
      'minDelta',
      'cooldown',
      'minLearningRate',
    ]);
    const factor = numberIn(o.factor ?? 0.1, 'learningRateSchedule.factor', 0, 1);
    if (factor === 0 || factor === 1) throw argError(FN, 'learningRateSchedule.factor', 'a number in (0, 1)', factor);
    return {
      type,
      monitor: monitorOf(o.monitor, 'learningRateSchedule.monitor', validated),
      factor,
      patience: numberIn(o.patience ?? 10, 'learningRateSchedule.patience', 0, 1e6, true),
      minDelta: numberIn(o.minDelta ?? 1e-4, 'learningRateSchedule.minDelta', 0, Number.MAX_VALUE),
      cooldown: numberIn(o.cooldown ?? 0, 'learningRateSchedule.cooldown', 0, 1e6, true),
      minLearningRate: numberIn(o.minLearningRate ?? 0, 'learningRateSchedule.minLearningRate', 0, 10),
    };
  }
  throw argError(FN, 'learningRateSchedule', "{ type: 'step' | 'cosine' | 'reduceOnPlateau', … }", v);
}

/** The learning rate of each epoch of one fit, and what a plateau schedule learns from the logs. */
export class LearningRates {
  private rate: number;
  private best = Infinity;
  private wait = 0;
  private cooldown = 0;

  constructor(
    private readonly base: number,
    private readonly schedule: LearningRateSchedule | undefined,
  ) {
    this.rate = base;
  }

  /** The rate of the fit's epoch `e` (0-based). */
  at(e: number): number {
    const s = this.schedule;
    if (s?.type === 'step') return this.base * s.factor ** Math.floor(e / s.every);
    if (s?.type === 'cosine') {
      const min = s.minLearningRate ?? 0,
        T = s.epochs!;
      return min + ((this.base - min) * (1 + Math.cos((Math.PI * Math.min(e, T)) / T))) / 2;
    }
    return this.rate;
  }

  /** After an epoch: ReduceLROnPlateau's rule, as Keras. */
  observe(log: EpochLog): void {
    const s = this.schedule;
    if (s?.type !== 'reduceOnPlateau') return;
    const current = log[s.monitor!]!;
    if (this.cooldown > 0) {
      this.cooldown--;
      this.wait = 0;
    }
    if (current < this.best - s.minDelta!) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldown === 0 && ++this.wait >= s.patience!) {
      if (this.rate > s.minLearningRate!) {
        this.rate = Math.max(this.rate * s.factor!, s.minLearningRate!);
        this.cooldown = s.cooldown!;
        this.wait = 0;
      }
    }
  }
}

/** Keras's EarlyStopping: the best value so far, epochs since, and the best epoch's weights. */
export class EarlyStopper {
  private best = Infinity;
  private wait = 0;
  bestEpoch = 0;
  bestWeights: Float32Array | null = null;

  constructor(private readonly o: Required<EarlyStoppingOptions>) {}

  /** Whether training should stop after this epoch. */
  observe(log: EpochLog, engine: Engine): boolean {
    const current = log[this.o.monitor]!;
    this.wait++;
    if (current < this.best - this.o.minDelta) {
      this.best = current;
      this.bestEpoch = log.epoch;
      if (this.o.restoreBestWeights) this.bestWeights = engine.params().slice();
      this.wait = 0;
      return false;
    }
    return this.wait >= this.o.patience;
  }
}
