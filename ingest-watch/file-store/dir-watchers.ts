// One fs.watch per folder whose files change (a run folder for meta.yaml, its
// metrics/params/tags folders). inotify reports every write to a file of a
// watched folder; chokidar's per-file change events are throttled and
// filtered by mtime, which loses the last appends of a burst.
import { watch, type FSWatcher } from 'node:fs'
import { join } from 'node:path'

export class DirWatchers {
  private readonly watchers = new Map<string, FSWatcher>()
  private limitReported = false

  constructor(
    private readonly root: string,
    /** A file or folder named `name` changed inside the watched folder `dir` (both relative to root). */
    private readonly onChange: (dir: string, name: string) => void,
    private readonly log: (message: string) => void,
  ) {}

  get size(): number {
    return this.watchers.size
  }

  /** Idempotent; a folder that does not exist (yet) is quietly skipped. */
  watch(dir: string): boolean {
    if (this.watchers.has(dir)) return true
    try {
      const w = watch(join(this.root, dir), { persistent: false }, (_event, name) => {
        if (name) this.onChange(dir, name.toString())
      })
      w.on('error', () => this.unwatch(dir))
      this.watchers.set(dir, w)
      return true
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOSPC' && !this.limitReported) {
        this.limitReported = true
        this.log(
          `the system limit of watched folders is reached (${this.watchers.size} watched); raise fs.inotify.max_user_watches to see live changes in every run`,
        )
      }
      return false
    }
  }

  unwatch(dir: string): void {
    this.watchers.get(dir)?.close()
    this.watchers.delete(dir)
  }

  /** Stops watching a folder and everything below it. */
  unwatchTree(dir: string): void {
    for (const d of [...this.watchers.keys()]) if (d === dir || d.startsWith(`${dir}/`)) this.unwatch(d)
  }

  closeAll(): void {
    for (const w of this.watchers.values()) w.close()
    this.watchers.clear()
  }
}
