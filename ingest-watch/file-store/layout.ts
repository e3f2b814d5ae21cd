// Where things live in an MLflow file store, as a pure function of the path
// relative to the store root (always with '/' separators). Deleted
// experiments live, whole, under `.trash/`; every experiment-scoped path
// carries the folder it was found in (`expDir`).

/** Folders of the root that are not experiments (besides `.trash`, which holds deleted ones). */
export const NON_EXPERIMENT_DIRS = new Set(['models'])
/** Folders of an experiment that are not runs. */
export const NON_RUN_DIRS = new Set(['tags', 'datasets', 'traces', 'models'])
export const RUN_SECTIONS = ['metrics', 'params', 'tags'] as const
export type RunSection = (typeof RUN_SECTIONS)[number]
export const TRASH = '.trash'

const ID = /^[0-9a-zA-Z_-]{1,64}$/

interface InExperiment {
  experimentId: string
  /** The experiment's folder: `<id>` or `.trash/<id>`. */
  expDir: string
}
interface InRun extends InExperiment {
  runId: string
}

export type StorePath =
  | ({ kind: 'experiment-dir' } & InExperiment)
  | ({ kind: 'experiment-meta' } & InExperiment)
  | ({ kind: 'experiment-tags-dir' } & InExperiment)
  | ({ kind: 'experiment-tag'; key: string } & InExperiment)
  | ({ kind: 'run-dir' } & InRun)
  | ({ kind: 'run-meta' } & InRun)
  /** A run's metrics/, params/ or tags/ folder itself. */
  | ({ kind: 'run-section'; section: RunSection } & InRun)
  | ({ kind: 'metric' | 'param' | 'tag'; key: string } & InRun)
  /** Anything under a run's inputs/ folder (dataset inputs). */
  | ({ kind: 'run-inputs' } & InRun)
  | { kind: 'trash-dir' }
  /** A folder or file the reader never needs to look into (artifacts, models, traces…). */
  | { kind: 'ignored' }
  | { kind: 'other' }

export function classifyStorePath(relative: string): StorePath {
  if (relative === '' || relative === '.') return { kind: 'other' }
  const parts = relative.split('/')
  let offset = 0
  if (parts[0] === TRASH) {
    if (parts.length === 1) return { kind: 'trash-dir' }
    offset = 1
  }
  const [exp, run, section, ...rest] = parts.slice(offset) as [string, string?, string?, ...string[]]
  if (NON_EXPERIMENT_DIRS.has(exp) || exp.startsWith('.') || !ID.test(exp)) return { kind: 'ignored' }
  const inExp: InExperiment = { experimentId: exp, expDir: offset ? `${TRASH}/${exp}` : exp }
  if (run === undefined) return { kind: 'experiment-dir', ...inExp }
  if (run === 'meta.yaml') return section === undefined ? { kind: 'experiment-meta', ...inExp } : { kind: 'other' }
  if (run === 'tags') {
    if (section === undefined) return { kind: 'experiment-tags-dir', ...inExp }
    return { kind: 'experiment-tag', ...inExp, key: [section, ...rest].join('/') }
  }
  if (NON_RUN_DIRS.has(run) || !ID.test(run)) return { kind: 'ignored' }
  const inRun: InRun = { ...inExp, runId: run }
  if (section === undefined) return { kind: 'run-dir', ...inRun }
  if (section === 'meta.yaml') return rest.length === 0 ? { kind: 'run-meta', ...inRun } : { kind: 'other' }
  if (section === 'inputs') return { kind: 'run-inputs', ...inRun }
  if (section === 'artifacts' || section === 'outputs') return { kind: 'ignored' }
  if (rest.length === 0) {
    return (RUN_SECTIONS as readonly string[]).includes(section) ? { kind: 'run-section', ...inRun, section: section as RunSection } : { kind: 'other' }
  }
  const key = rest.join('/')
  if (section === 'metrics') return { kind: 'metric', ...inRun, key }
  if (section === 'params') return { kind: 'param', ...inRun, key }
  if (section === 'tags') return { kind: 'tag', ...inRun, key }
  return { kind: 'other' }
}

/** True for a run folder and paths inside it: those are followed by per-folder watches, not chokidar. */
export function isRunPath(where: StorePath): boolean {
  return 'runId' in where
}
