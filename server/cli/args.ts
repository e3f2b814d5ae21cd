// Command-line arguments, parsed without side effects.

export const USAGE = `Usage: runwatch [STORE] [options]

A live dashboard for MLflow experiment data.

STORE is an MLflow tracking store: a path or file:///abs/mlruns, sqlite:///rel.db,
sqlite:////abs.db. Without one, runwatch uses ./mlruns if it holds experiments,
else ./mlflow.db if it exists, else it starts a built-in live demo.

Options:
  --backend-store-uri STORE  the store, as for \`mlflow server\`
  --host HOST                address to bind (default 127.0.0.1)
  --port PORT                port to listen on (default 5050; 0 picks a free one)
  --demo                     serve the built-in live demo, whatever is here
  --demo-dir DIR             folder the demo writes its store into (default: a new temporary folder)
  --stall-factor K           a RUNNING run is stalled after K × its median logging interval of silence (default 10)
  --stalled-after SECONDS    … and never before this much silence (default 60)
  --diverge-factor M         a loss above M × its minimum counts as diverged (default 3)
  -h, --help                 show this help
  -v, --version              show the version
`

export interface CliOptions {
  store?: string
  host: string
  port: number
  demo: boolean
  demoDir?: string
  help: boolean
  version: boolean
  /** Run health settings given on the command line (the rest keep their defaults). */
  health: { k?: number; minSilenceMs?: number; m?: number }
}

export class UsageError extends Error {}

export function parseArgs(argv: string[]): CliOptions {
  const opts: CliOptions = { host: '127.0.0.1', port: 5050, demo: false, help: false, version: false, health: {} }
  const positional: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    const name = eq > 0 ? arg.slice(0, eq) : arg
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1)
      const next = argv[++i]
      if (next === undefined || next.startsWith('-')) throw new UsageError(`${name} needs a value`)
      return next
    }
    switch (name) {
      case '-h': case '--help': opts.help = true; break
      case '-v': case '--version': opts.version = true; break
      case '--demo': opts.demo = true; break
      case '--demo-dir': opts.demoDir = value(); break
      case '--host': opts.host = value(); break
      case '--backend-store-uri': setStore(opts, value()); break
      case '--stall-factor': opts.health.k = positiveNumber(name, value()); break
      case '--stalled-after': opts.health.minSilenceMs = positiveNumber(name, value()) * 1000; break
      case '--diverge-factor': opts.health.m = positiveNumber(name, value()); break
      case '--port': {
        const text = value()
        const port = Number(text)
        if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, not '${text}'`)
        opts.port = port
        break
      }
      default:
        if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${name}`)
        positional.push(arg)
    }
  }
  if (positional.length > 1) throw new UsageError(`expected at most one STORE, got ${positional.length}: ${positional.join(' ')}`)
  if (positional[0] !== undefined) setStore(opts, positional[0])
  if (opts.demo && opts.store !== undefined) throw new UsageError('--demo cannot be combined with a STORE')
  return opts
}

function positiveNumber(name: string, text: string): number {
  const n = Number(text)
  if (!/^\d+(\.\d+)?$/.test(text) || !(n > 0)) throw new UsageError(`${name} must be a positive number, not '${text}'`)
  return n
}

function setStore(opts: CliOptions, store: string): void {
  if (opts.store !== undefined && opts.store !== store) throw new UsageError('give the store once, either as STORE or --backend-store-uri')
  if (store === '') throw new UsageError('STORE must not be empty')
  opts.store = store
}
