#!/usr/bin/env node
// `npm run dev [-- STORE ARGS]`: a runwatch server on an API port plus Vite's
// dev server (hot reload) proxying /api and /ws to it.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const apiPort = process.env.RUNWATCH_DEV_API_PORT ?? '5051'
const env = { ...process.env, RUNWATCH_DEV_API_PORT: apiPort }
const children = [
  spawn(process.execPath, [join(root, 'bin', 'runwatch.js'), ...process.argv.slice(2), '--port', apiPort], { stdio: 'inherit', env }),
  spawn(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), '--config', join(root, 'vite.config.ts')], { stdio: 'inherit', env, cwd: root }),
]
const stop = () => children.forEach((c) => c.exitCode === null && c.kill('SIGTERM'))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
for (const c of children) c.on('exit', (code) => { stop(); process.exitCode ||= code ?? 0 })
