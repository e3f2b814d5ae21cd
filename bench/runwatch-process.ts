// Starts the real `runwatch` command on a store for a benchmark and waits for its ready line.
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

const BIN = join(import.meta.dirname, '..', 'bin', 'runwatch.js')

export async function spawnRunwatch(store: string, options: { stderr?: 'inherit' | 'ignore'; profileDir?: string } = {}): Promise<{ url: string; child: ChildProcess }> {
  const args = [...(options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : []), BIN, store, '--port', '0']
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', options.stderr ?? 'ignore'] })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /runwatch listening on (\S+)/.exec(out)
      if (m) resolve(m[1]!)
    })
    child.on('exit', (code) => reject(new Error(`runwatch exited with ${code}`)))
  })
  return { url, child }
}

/**
 * Stops it and waits until it has exited: an index of millions of points
 * takes seconds of CPU to tear down, which would otherwise overlap the
 * next benchmark's measurements.
 */
export async function stopRunwatch(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  await exited
  clearTimeout(killer)
}
