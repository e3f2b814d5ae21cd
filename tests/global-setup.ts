// Builds the web client once before any test starts a server that serves it
// (the CLI would otherwise build it on first start, in each process at once).
import { build } from 'vite'

export default async function setup(): Promise<void> {
  await build({ configFile: 'vite.config.ts', logLevel: 'warn' })
}
