// Starts the real `runwatch` command as a child process, as a user would.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'runwatch.js')
export const READY_LINE = /^runwatch listening on (http:\/\/\S+)$/m

export interface RunwatchProcess {
  child: ChildProcessWithoutNullStreams
  stdout: () => string
  stderr: () => string
  /** Resolves with the exit code. */
  exited: Promise<number | null>
  stop: () => Promise<number | null>
}

/** Children still running: killed when the test worker exits, so a test that timed out leaves no server behind. */
const running = new Set<ChildProcessWithoutNullStreams>()
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

export function spawnRunwatch(args: string[], cwd: string): RunwatchProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } })
  running.add(child)
  child.on('exit', () => running.delete(child))
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}

/** Starts runwatch and waits for its ready line; returns the URL it printed. */
export async function startRunwatch(args: string[], cwd: string, timeoutMs = 30_000): Promise<RunwatchProcess & { url: string }> {
  const proc = spawnRunwatch(args, cwd)
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const m = READY_LINE.exec(proc.stdout())
    if (m) return { ...proc, url: m[1]! }
    if (proc.child.exitCode !== null) break
    await new Promise((r) => setTimeout(r, 25))
  }
  await proc.stop()
  throw new Error(`runwatch did not become ready.\nstdout: ${proc.stdout()}\nstderr: ${proc.stderr()}`)
}
