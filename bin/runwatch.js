#!/usr/bin/env node
// Entry point of the `runwatch` command: runs the TypeScript sources through tsx.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../server/cli/main.ts')
// Under `npm start -- ./mlruns`, npm runs us in the package folder; a relative
// store path means the folder the user typed the command in.
const viaNpmStart = process.env.npm_lifecycle_event === 'start' && process.env.npm_package_name === 'runwatch'
const cwd = viaNpmStart && process.env.INIT_CWD ? process.env.INIT_CWD : process.cwd()
process.exitCode = await main(process.argv.slice(2), cwd)
