// Worker entry: the metrics reader is TypeScript, loaded through tsx.
import { register } from 'tsx/esm/api'

register()
await import('./metrics-worker.ts')
