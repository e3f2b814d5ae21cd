// A scan worker: reads whole run folders; metric columns are transferred, packed into one buffer, not copied.
import { packColumns } from '../pack-columns.ts'
import { serveJobs } from '../worker-pool.ts'
import { readRunFolder, type RunFolder, type RunLocationRef } from './run-folder.ts'

export interface ScanJob {
  root: string
  runs: RunLocationRef[]
  retryDelays: number[]
}

const sleeper = new Int32Array(new SharedArrayBuffer(4))
const sleep = (ms: number) => void Atomics.wait(sleeper, 0, 0, ms)

await serveJobs<ScanJob, RunFolder[]>((job) => {
  const reply = job.runs.map((where) => readRunFolder(job.root, where, job.retryDelays, sleep))
  return { reply, transfer: [packColumns(reply.flatMap((r) => r.metrics.flatMap((m) => m.batches)))] }
})
