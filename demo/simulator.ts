// The built-in live demo: a hyper-parameter sweep that writes a real MLflow
// file store while runwatch tails it like any other store. Runs start
// staggered, log at 10–50 points/s, finish, fail, diverge to NaN, stall, and
// new ones keep starting; old finished runs are deleted and purged so the
// store stays small on a wall display that runs for days.
import { MlflowFileStoreWriter, type MetricPoint } from './mlflow-file-writer.ts'

export interface DemoOptions {
  root: string
  experimentName?: string
  /** Wall-clock period of the write loop. */
  tickMs?: number
  /** Runs logging at the same time once the first grid has started. */
  concurrentRuns?: number
  /** Finished runs beyond this many are deleted, then purged. */
  keepRuns?: number
  /** Multiplies every run's logging rate (tests and benchmarks speed it up). */
  speed?: number
  /** Every run logs at this rate (points per second) instead of one set by its batch size. */
  pointsPerSecond?: number
}

type Fate = 'finish' | 'fail' | 'diverge' | 'stall'

interface SimRun {
  runId: string
  lr: number
  batchSize: number
  pointsPerSecond: number
  maxSteps: number
  fate: Fate
  failAt: number
  step: number
  /** Fractional steps owed since the last tick. */
  due: number
  stallUntil: number
  seed: number
}

const LEARNING_RATES = [1e-4, 3e-4, 1e-3, 3e-3]
const BATCH_SIZES = [32, 64, 128]

export class DemoSimulator {
  readonly writer: MlflowFileStoreWriter
  readonly experimentId: string
  private readonly runs: SimRun[] = []
  private readonly finished: string[] = []
  private timer: NodeJS.Timeout | undefined
  private lastTick = Date.now()
  private startedAt = Date.now()
  private started = 0
  private generation = 0
  private readonly tickMs: number
  private readonly concurrent: number
  private readonly keepRuns: number
  private readonly speed: number
  private readonly fixedRate: number | undefined

  constructor(options: DemoOptions) {
    this.writer = new MlflowFileStoreWriter(options.root)
    this.tickMs = options.tickMs ?? 100
    this.concurrent = options.concurrentRuns ?? 8
    this.keepRuns = options.keepRuns ?? 36
    this.speed = options.speed ?? 1
    this.fixedRate = options.pointsPerSecond
    // The Default experiment exists in every MLflow store, and is empty here.
    this.writer.createExperiment('Default', '0')
    this.experimentId = this.writer.createExperiment(options.experimentName ?? 'demo-sweep')
  }

  /** Starts the first run at once so a fresh store is never empty. */
  start(): void {
    this.startedAt = this.lastTick = Date.now()
    this.startRun()
    this.timer = setInterval(() => this.tick(), this.tickMs)
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  private tick(): void {
    const now = Date.now()
    const dt = (now - this.lastTick) / 1000
    this.lastTick = now
    // The first grid starts one run every 1.5 s; afterwards keep `concurrent` running.
    const gridSize = LEARNING_RATES.length * BATCH_SIZES.length
    if (this.started < gridSize) {
      if (now - this.startedAt >= 1500 * this.started / this.speed) this.startRun()
    } else if (this.runs.length < this.concurrent) {
      this.startRun()
    }
    for (const run of [...this.runs]) this.advance(run, dt, now)
  }

  private startRun(): void {
    const i = this.started++
    const gridSize = LEARNING_RATES.length * BATCH_SIZES.length
    if (i % gridSize === 0) this.generation++
    const lr = LEARNING_RATES[i % LEARNING_RATES.length]!
    const batchSize = BATCH_SIZES[Math.floor(i / LEARNING_RATES.length) % BATCH_SIZES.length]!
    const first = this.generation === 1
    // Fixed fates in the first grid so each live feature has a run to show it.
    const fate: Fate = first && i === 3 ? 'diverge' : first && i === 5 ? 'fail' : first && i === 9 ? 'stall' : 'finish'
    const seed = i * 7919 + 17
    const name = `lr${lr.toExponential(0)}-bs${batchSize}` + (first ? '' : `-g${this.generation}`)
    const runId = this.writer.createRun(this.experimentId, {
      name,
      params: {
        lr: String(lr),
        batch_size: String(batchSize),
        optimizer: i % 2 === 0 ? 'adam' : 'sgd',
        epochs: '10',
        seed: String(seed),
      },
      tags: { model: batchSize >= 128 ? 'resnet50' : 'resnet18', sweep: `demo-g${this.generation}`, dataset: 'cifar10' },
    })
    this.runs.push({
      runId,
      lr,
      batchSize,
      pointsPerSecond: (this.fixedRate ?? Math.round(1600 / batchSize)) * this.speed,
      maxSteps: 2000 + ((seed * 31) % 3000),
      fate,
      failAt: 600 + (seed % 300),
      step: 0,
      due: 0,
      stallUntil: 0,
      seed,
    })
  }

  private advance(run: SimRun, dt: number, now: number): void {
    if (run.fate === 'stall' && run.step >= 500 && run.stallUntil === 0) run.stallUntil = now + 90_000 / this.speed
    if (now < run.stallUntil) return
    run.due += dt * run.pointsPerSecond
    const n = Math.floor(run.due)
    if (n === 0) return
    run.due -= n
    const series: Record<'loss' | 'accuracy' | 'lr' | 'val_loss', MetricPoint[]> = { loss: [], accuracy: [], lr: [], val_loss: [] }
    for (let k = 0; k < n && run.step < run.maxSteps; k++) {
      const step = run.step++
      const timestamp = now - Math.round(((n - 1 - k) / run.pointsPerSecond) * 1000)
      const loss = this.loss(run, step)
      series.loss.push({ timestamp, value: loss, step })
      series.accuracy.push({ timestamp, value: accuracyFrom(loss), step })
      series.lr.push({ timestamp, value: cosineLr(run.lr, step, run.maxSteps), step })
      if (step % 10 === 0) series.val_loss.push({ timestamp, value: Number.isFinite(loss) ? loss * 1.08 + 0.04 : loss, step })
      if (run.fate === 'fail' && step >= run.failAt) return this.end(run, 'FAILED', series)
      if (run.fate === 'diverge' && !Number.isFinite(loss) && step >= run.failAt + 40) return this.end(run, 'KILLED', series)
    }
    this.write(run, series)
    if (run.step >= run.maxSteps) this.end(run, 'FINISHED', {})
  }

  private end(run: SimRun, status: 'FINISHED' | 'FAILED' | 'KILLED', series: Record<string, MetricPoint[]>): void {
    this.write(run, series)
    if (status === 'FAILED') this.writer.setTag(run.runId, 'error', 'CUDA out of memory (simulated)')
    this.writer.endRun(run.runId, status)
    this.runs.splice(this.runs.indexOf(run), 1)
    this.finished.push(run.runId)
    while (this.finished.length > this.keepRuns) {
      const old = this.finished.shift()!
      this.writer.deleteRun(old)
      this.writer.purgeRun(old)
    }
  }

  private write(run: SimRun, series: Record<string, MetricPoint[]>): void {
    for (const [key, points] of Object.entries(series)) this.writer.logMetric(run.runId, key, points)
  }

  /** A noisy exponential decay whose speed and floor depend on lr and batch size. */
  private loss(run: SimRun, step: number): number {
    const rate = run.lr * 4000 / Math.sqrt(run.batchSize / 32)
    const floor = 0.15 + 0.25 * Math.abs(Math.log10(run.lr) + 3) / 1.5
    const noise = (noise01(run.seed, step) - 0.5) * 0.06 * (1 + 2 / (1 + step / 50))
    const base = floor + 2.2 * Math.exp(-rate * step / 600) + noise
    if (run.fate !== 'diverge' || step < run.failAt) return Math.max(base, 0.01)
    const blowUp = base * Math.exp((step - run.failAt) / 40)
    return blowUp > 50 ? NaN : blowUp
  }
}

function accuracyFrom(loss: number): number {
  return Number.isFinite(loss) ? Math.min(0.99, Math.max(0.05, 1 - loss / 2.5)) : NaN
}

function cosineLr(lr: number, step: number, maxSteps: number): number {
  return lr * 0.5 * (1 + Math.cos((Math.PI * step) / maxSteps))
}

/** Deterministic noise in [0, 1) so a seed always draws the same curve. */
function noise01(seed: number, step: number): number {
  const x = Math.sin(seed * 12.9898 + step * 78.233) * 43758.5453
  return x - Math.floor(x)
}
