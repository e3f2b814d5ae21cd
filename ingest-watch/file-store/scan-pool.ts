// The initial scan spread over worker threads: reading and parsing thousands
// of small files is CPU and system-call bound, and the main thread has the
// index to feed meanwhile. Results come back in any order, run by run.
import { realpathSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { runInWorkers } from '../worker-pool.ts'
import { readRunFolder, type RunFolder, type RunLocationRef } from './run-folder.ts'
import type { ScanJob } from './scan-worker.ts'

/** Runs per job: large enough to amortize messaging, small enough to keep memory flat. */
const CHUNK = 16
/** Below this many runs, threads cost more than they save. */
const MIN_RUNS_FOR_WORKERS = 64

/** `beforeRead` gets each run just before its folder is read (on this thread, in any case). */
export async function scanRunFolders(
  root: string,
  runs: RunLocationRef[],
  retryDelays: number[],
  options: { threads?: number; minRuns?: number },
  beforeRead: (where: RunLocationRef) => void,
  onResult: (where: RunLocationRef, result: RunFolder) => void | Promise<void>,
): Promise<void> {
  const threads = options.threads ?? Math.min(4, availableParallelism())
  // Files are opened by their real path: a symbolic link on the way to the
  // store would be resolved again by each of some 600,000 opens. Reports name
  // paths relative to the root, so they read the same.
  root = realRoot(root)
  if (runs.length < (options.minRuns ?? MIN_RUNS_FOR_WORKERS) || threads < 2) {
    const sleeper = new Int32Array(new SharedArrayBuffer(4))
    for (const where of runs) {
      beforeRead(where)
      await onResult(where, readRunFolder(root, where, retryDelays, (ms) => void Atomics.wait(sleeper, 0, 0, ms)))
    }
    return
  }
  const jobs: ScanJob[] = []
  for (let i = 0; i < runs.length; i += CHUNK) jobs.push({ root, runs: runs.slice(i, i + CHUNK), retryDelays })
  await runInWorkers<ScanJob, RunFolder[]>(
    new URL('./scan-worker.js', import.meta.url),
    jobs,
    threads,
    async (job, results) => {
      for (let i = 0; i < job.runs.length; i++) await onResult(job.runs[i]!, results[i]!)
    },
    { beforeSend: (job) => job.runs.forEach(beforeRead) },
  )
}

function realRoot(root: string): string {
  try {
    return realpathSync(root)
  } catch {
    return root
  }
}
