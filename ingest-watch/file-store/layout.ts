// Where things live in an MLflow file store, as a pure function of the path
// relative to the store root (always with '/' separators).

/** Folders of the root that are not experiments. */
export const NON_EXPERIMENT_DIRS = new Set(['.trash', 'models'])
/** Folders of an experiment that are not runs. */
export const NON_RUN_DIRS = new Set(['tags', 'datasets', 'traces', 'models'])

export const RUN_SECTIONS = ['metrics', 'params', 'tags'] as const
export type RunSection = (typeof RUN_SECTIONS)[number]

const RUN_ID = /^[0-9a-zA-Z_-]{1,64}$/

export type StorePath =
  | { kind: 'experiment-dir'; experimentId: string }
  | { kind: 'experiment-meta'; experimentId: string }
  | { kind: 'run-dir'; experimentId: string; runId: string }
  | { kind: 'run-meta'; experimentId: string; runId: string }
  /** A run's metrics/, params/ or tags/ folder itself. */
  | { kind: 'run-section'; experimentId: string; runId: string; section: RunSection }
  | { kind: 'metric'; experimentId: string; runId: string; key: string }
  | { kind: 'param'; experimentId: string; runId: string; key: string }
  | { kind: 'tag'; experimentId: string; runId: string; key: string }
  /** A folder the reader never needs to look into (artifacts, .trash, models…). */
  | { kind: 'ignored' }
  | { kind: 'other' }

export function classifyStorePath(relative: string): StorePath {
  if (relative === '' || relative === '.') return { kind: 'other' }
  const parts = relative.split('/')
  const [exp, run, section, ...rest] = parts as [string, string?, string?, ...string[]]
  if (NON_EXPERIMENT_DIRS.has(exp) || exp.startsWith('.')) return { kind: 'ignored' }
  if (run === undefined) return { kind: 'experiment-dir', experimentId: exp }
  if (run === 'meta.yaml' && section === undefined) return { kind: 'experiment-meta', experimentId: exp }
  if (NON_RUN_DIRS.has(run) || !RUN_ID.test(run)) return run === 'tags' ? { kind: 'other' } : { kind: 'ignored' }
  const ids = { experimentId: exp, runId: run }
  if (section === undefined) return { kind: 'run-dir', ...ids }
  if (section === 'meta.yaml' && rest.length === 0) return { kind: 'run-meta', ...ids }
  if (section === 'artifacts' || section === 'inputs' || section === 'outputs') return { kind: 'ignored' }
  if (rest.length === 0) {
    return (RUN_SECTIONS as readonly string[]).includes(section) ? { kind: 'run-section', ...ids, section: section as RunSection } : { kind: 'other' }
  }
  const key = rest.join('/')
  if (section === 'metrics') return { kind: 'metric', ...ids, key }
  if (section === 'params') return { kind: 'param', ...ids, key }
  if (section === 'tags') return { kind: 'tag', ...ids, key }
  return { kind: 'other' }
}
