// Generates a file store in MLflow's exact format for the benchmarks, cached
// under bench/.data/ (the same size is generated once).
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MlflowFileStoreWriter, type MetricPoint } from '../demo/mlflow-file-writer.ts'

export interface StoreShape {
  runs: number
  metrics: number
  points: number
  params: number
  tags: number
}

export const DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), '.data')

export function generateFileStore(shape: StoreShape): { root: string; generatedSeconds: number | null } {
  const name = `file-${shape.runs}r-${shape.metrics}m-${shape.points}p-${shape.params}pa-${shape.tags}t`
  const root = join(DATA_DIR, name, 'mlruns')
  const marker = join(DATA_DIR, name, '.complete')
  if (existsSync(marker)) return { root, generatedSeconds: null }
  rmSync(join(DATA_DIR, name), { recursive: true, force: true })
  mkdirSync(root, { recursive: true })
  const started = performance.now()
  const w = new MlflowFileStoreWriter(root)
  w.createExperiment('Default', '0')
  const experiments = [w.createExperiment('bench-a'), w.createExperiment('bench-b')]
  const t0 = 1_790_000_000_000
  for (let r = 0; r < shape.runs; r++) {
    const params: Record<string, string> = {}
    for (let p = 0; p < shape.params; p++) params[`param_${p}`] = String((r * 31 + p * 7) % 97 / 10)
    const tags: Record<string, string> = {}
    for (let t = 0; t < shape.tags - 4; t++) tags[`tag_${t}`] = `value-${(r + t) % 13}`
    const runId = w.createRun(experiments[r % experiments.length]!, { name: `run-${r}`, startTime: t0 + r * 1000, params, tags })
    for (let m = 0; m < shape.metrics; m++) {
      const points: MetricPoint[] = []
      for (let s = 0; s < shape.points; s++) {
        points.push({ timestamp: t0 + r * 1000 + s * 10, value: Math.exp(-s / 30) * (1 + m / 10) + ((r * 7 + s) % 11) / 100, step: s })
      }
      w.logMetric(runId, `metric_${m}`, points)
    }
    if (r % 4 === 0) w.endRun(runId, 'FINISHED', t0 + r * 1000 + shape.points * 10)
  }
  writeFileSync(marker, '')
  return { root, generatedSeconds: (performance.now() - started) / 1000 }
}
