// The initial scan spread over worker threads: reading and parsing thousands
// of small files is CPU and system-call bound, and the main thread has the
// index to feed meanwhile. Results come back in any order, run by run.
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { readRunFolder, type RunFolder, type RunLocationRef } from './run-folder.ts'
import type { ScanReply, ScanRequest } from './scan-worker.ts'

/** Runs per request: large enough to amortize messaging, small enough to keep memory flat. */
const CHUNK = 16
/** Below this many runs, threads cost more than they save. */
const MIN_RUNS_FOR_WORKERS = 64

export async function scanRunFolders(
  root: string,
  runs: RunLocationRef[],
  retryDelays: number[],
  onResult: (where: RunLocationRef, result: RunFolder) => void | Promise<void>,
  threads = Math.min(4, availableParallelism()),
): Promise<void> {
  if (runs.length < MIN_RUNS_FOR_WORKERS || threads < 2) {
    const sleeper = new Int32Array(new SharedArrayBuffer(4))
    for (const where of runs) {
      await onResult(where, readRunFolder(root, where, retryDelays, (ms) => void Atomics.wait(sleeper, 0, 0, ms)))
    }
    return
  }
  const workers = Array.from({ length: threads }, () => new Worker(new URL('./scan-worker.js', import.meta.url)))
  try {
    let next = 0
    let id = 0
    const request = (worker: Worker) => {
      if (next >= runs.length) return undefined
      const chunk = runs.slice(next, next + CHUNK)
      next += chunk.length
      return { chunk, reply: ask(worker, { id: id++, root, runs: chunk, retryDelays }) }
    }
    await Promise.all(
      workers.map(async (worker) => {
        // One request ahead: the worker reads the next chunk while this thread indexes the last.
        let current = request(worker)
        while (current) {
          const { results } = await current.reply
          const following = request(worker)
          for (let i = 0; i < current.chunk.length; i++) await onResult(current.chunk[i]!, results[i]!)
          current = following
        }
      }),
    )
  } finally {
    await Promise.all(workers.map((w) => w.terminate()))
  }
}

function ask(worker: Worker, req: ScanRequest): Promise<ScanReply> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: ScanReply) => {
      if (reply.id !== req.id) return
      worker.off('message', onMessage)
      worker.off('error', reject)
      resolve(reply)
    }
    worker.on('message', onMessage)
    worker.once('error', reject)
    worker.postMessage(req)
  })
}
