// A few worker threads working through a list of jobs, one job ahead each, so
// reading and parsing a large store overlaps with indexing on this thread.
// Replies come back in any order across workers, in order within one.
import { Worker } from 'node:worker_threads'

/** Each worker answers `{ id, ... }` to `{ id, job }` (see worker-job.ts). */
export async function runInWorkers<Job, Reply>(
  entry: URL,
  jobs: Job[],
  threads: number,
  onReply: (job: Job, reply: Reply) => void | Promise<void>,
): Promise<void> {
  const workers = Array.from({ length: Math.max(1, Math.min(threads, jobs.length)) }, () => new Worker(entry))
  let next = 0
  let id = 0
  try {
    await Promise.all(
      workers.map(async (worker) => {
        const request = () => {
          if (next >= jobs.length) return undefined
          const job = jobs[next++]!
          return { job, reply: ask<Reply>(worker, id++, job) }
        }
        let current = request()
        while (current) {
          const reply = await current.reply
          const following = request()
          await onReply(current.job, reply)
          current = following
        }
      }),
    )
  } finally {
    await Promise.all(workers.map((w) => w.terminate()))
  }
}

function ask<Reply>(worker: Worker, id: number, job: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { id: number; reply: Reply }) => {
      if (message.id !== id) return
      worker.off('message', onMessage)
      worker.off('error', reject)
      resolve(message.reply)
    }
    worker.on('message', onMessage)
    worker.once('error', reject)
    worker.postMessage({ id, job })
  })
}

/** In a worker: answers each job with `handle(job)`, transferring the buffers it names. */
export async function serveJobs<Job, Reply>(handle: (job: Job) => { reply: Reply; transfer: ArrayBuffer[] }): Promise<void> {
  const { parentPort } = await import('node:worker_threads')
  parentPort!.on('message', ({ id, job }: { id: number; job: Job }) => {
    const { reply, transfer } = handle(job)
    parentPort!.postMessage({ id, reply }, [...new Set(transfer)])
  })
}
