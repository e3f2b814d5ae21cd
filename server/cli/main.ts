// `runwatch` on the command line: parse arguments, pick the store (or start
// the demo), make sure the client is built, serve, and print the ready line.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DemoSimulator } from '../../demo/simulator.ts'
import { StoreUriError } from '../../ingest-watch/store-uri.ts'
import { startServer, StartError } from '../start.ts'
import { parseArgs, USAGE, UsageError, type CliOptions } from './args.ts'
import { resolveStore, StoreNotFoundError } from './resolve-store.ts'

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const CLIENT_DIR = join(PACKAGE_ROOT, 'dist', 'client')

const say = (message: string) => console.error(`runwatch: ${message}`)
const DEMO_MARKER = '.runwatch-demo'

/** Resolves with the exit code once the server has stopped (or failed to start). */
export async function main(argv: string[], cwd = process.cwd()): Promise<number> {
  let opts: CliOptions
  try {
    opts = parseArgs(argv)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    process.stderr.write(`runwatch: ${err.message}\n\n${USAGE}`)
    return 2
  }
  if (opts.help) {
    process.stdout.write(USAGE)
    return 0
  }
  if (opts.version) {
    process.stdout.write(`${JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).version}\n`)
    return 0
  }
  try {
    return await serveUntilStopped(opts, cwd)
  } catch (err) {
    if (err instanceof StoreUriError || err instanceof StoreNotFoundError || err instanceof StartError) {
      say(err.message)
      return 1
    }
    say(`failed: ${(err as Error).message}`)
    return 1
  }
}

async function serveUntilStopped(opts: CliOptions, cwd: string): Promise<number> {
  const choice = resolveStore(opts.store, opts.demo, cwd)
  let demo: DemoSimulator | undefined
  let demoTemp: string | undefined
  let store
  if (choice.kind === 'demo') {
    const base = opts.demoDir ? resolve(cwd, opts.demoDir) : (demoTemp = mkdtempSync(join(tmpdir(), 'runwatch-demo-')))
    const root = join(base, 'mlruns')
    const marker = join(base, DEMO_MARKER)
    if (existsSync(root)) {
      // Only ever replace a demo store: never a user's runs.
      if (!existsSync(marker)) throw new StartError(`${root} already exists and was not written by the demo; choose another --demo-dir`)
      rmSync(root, { recursive: true, force: true })
    }
    mkdirSync(base, { recursive: true })
    writeFileSync(marker, 'This folder holds the runwatch demo store; runwatch replaces it at each demo start.\n')
    say(
      `${opts.demo ? '' : 'no MLflow store here (./mlruns, ./mlflow.db); '}serving the built-in live demo, written to ${root}`,
    )
    demo = new DemoSimulator({ root })
    demo.start()
    store = { kind: 'file' as const, path: root }
  } else {
    store = choice
  }
  const stopDemo = () => {
    demo?.stop()
    if (demoTemp) rmSync(demoTemp, { recursive: true, force: true })
  }

  try {
    await ensureClientBuilt()
    const server = await startServer({ store, host: opts.host, port: opts.port, demo: !!demo, clientDir: CLIENT_DIR, log: say, health: opts.health })
    process.stdout.write(`runwatch listening on ${server.url}\n`)
    return await new Promise<number>((done) => {
      const stop = () => {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        void server.close().finally(() => {
          stopDemo()
          done(0)
        })
      }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
    })
  } catch (err) {
    stopDemo()
    throw err
  }
}

/** `npm start` on a fresh clone: build the web client once. */
async function ensureClientBuilt(): Promise<void> {
  if (existsSync(join(CLIENT_DIR, 'index.html'))) return
  say('building the web client (first start only)…')
  const { build } = await import('vite')
  await build({ configFile: join(PACKAGE_ROOT, 'vite.config.ts'), logLevel: 'warn' })
}
