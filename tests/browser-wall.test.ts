// The wall display in a real browser, the way it is used: left open while
// runs come and go — a new run appears, a silent one turns STALLED, and the
// page rides out a server restart without a reload.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MlflowFileStoreWriter } from '../demo/mlflow-file-writer.ts'
import { browserForFile, openPage } from './helpers/browser.ts'
import { tempDir } from './helpers/fixtures.ts'
import { startRunwatch, type RunwatchProcess } from './helpers/runwatch-process.ts'
import { waitFor } from './helpers/wait.ts'

const { browser, cleanups } = browserForFile()

describe('/wall in Chromium', () => {
  it('shows a new run, marks a silent one STALLED, and survives a server restart', { timeout: 120_000 }, async () => {
    const dir = tempDir()
    cleanups.push(dir.remove)
    const w = new MlflowFileStoreWriter(join(dir.path, 'mlruns'))
    const exp = w.createExperiment('wall')
    const steady = w.createRun(exp, { name: 'steady' })
    let step = 0
    const log = (runId: string) => w.logMetric(runId, 'loss', [{ timestamp: Date.now(), value: 1 / (step + 1), step }])
    // Both runs log every 100 ms; `quiet` stops after a while.
    let quiet: string | undefined
    let quietLogs = true
    const writer = setInterval(() => {
      step++
      log(steady)
      if (quiet && quietLogs) log(quiet)
    }, 100)
    cleanups.push(() => clearInterval(writer))
    // Stalled after 3 × the logging interval of silence, and at least 2 s (not the default minute).
    const args = [join(dir.path, 'mlruns'), '--port', '0', '--stall-factor', '3', '--stalled-after', '2']
    let server: RunwatchProcess & { url: string } = await startRunwatch(args, dir.path)
    cleanups.push(() => server.stop())

    const { page, errors } = await openPage(browser(), `${server.url}/wall`)
    const tiles = () => page.locator('[data-testid=wall-tile]').count()
    await waitFor(async () => (await tiles()) === 1, 'the running run on the wall', 15_000)

    quiet = w.createRun(exp, { name: 'quiet' })
    await waitFor(async () => (await tiles()) === 2, 'the new run appearing', 15_000)
    await waitFor(async () => Number((await page.textContent(`[data-run-id="${quiet}"] [data-testid=wall-step]`))?.replace(/\D/g, '') || 0) > 0, 'points on the new run')
    expect(await page.locator(`[data-run-id="${quiet}"] [data-testid=wall-health]`).count()).toBe(0)

    quietLogs = false
    await waitFor(async () => (await page.textContent(`[data-run-id="${quiet}"] [data-testid=wall-health]`).catch(() => null)) === 'stalled', 'the silent run turning STALLED', 30_000)
    expect(await page.locator(`[data-run-id="${steady}"] [data-testid=wall-health]`).count()).toBe(0)

    // Restart the server on the same port: the page shows a banner, reconnects by itself and resumes.
    const port = new URL(server.url).port
    await server.stop()
    await waitFor(() => page.isVisible('[data-testid=wall-banner]'), 'the reconnecting banner')
    server = await startRunwatch([...args.slice(0, 1), '--port', port, ...args.slice(3)], dir.path)
    await waitFor(async () => !(await page.isVisible('[data-testid=wall-banner]')), 'the banner gone after reconnecting', 30_000)
    const stepNow = async () => Number((await page.textContent(`[data-run-id="${steady}"] [data-testid=wall-step]`))?.replace(/\D/g, '') || 0)
    const before = await stepNow()
    await waitFor(async () => (await stepNow()) > before + 5, 'the steady run moving again', 15_000)
    expect(await tiles()).toBe(2)
    // The page's own reconnection did it: no reload, and nothing but the expected lost-connection noise in the console.
    expect(errors.filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(e))).toEqual([])
  })

  it('shows a metric the runs log when the URL names none they log, and says which they log', { timeout: 60_000 }, async () => {
    const dir = tempDir()
    cleanups.push(dir.remove)
    const w = new MlflowFileStoreWriter(join(dir.path, 'mlruns'))
    const run = w.createRun(w.createExperiment('no-loss'), { name: 'classifier' })
    w.logMetric(run, 'acc', [{ timestamp: Date.now(), value: 0.5, step: 1 }])
    w.logMetric(run, 'val_loss', [{ timestamp: Date.now(), value: 0.7, step: 1 }])
    const server = await startRunwatch([join(dir.path, 'mlruns'), '--port', '0'], dir.path)
    cleanups.push(() => server.stop())

    // No metric in the URL and no run logs `loss`: the wall takes val_loss, the first preferred one they log.
    const { page, errors } = await openPage(browser(), `${server.url}/wall`)
    await waitFor(() => new URL(page.url()).searchParams.get('metric') === 'val_loss', 'val_loss chosen', 15_000)
    await waitFor(async () => (await page.textContent('.wall-label').catch(() => null)) === 'val_loss', 'the tile showing val_loss')

    await page.goto(`${server.url}/wall?metric=nope`)
    await waitFor(async () => (await page.textContent('[data-testid=wall-notice]').catch(() => null))?.includes("'nope' is not logged by these runs"), 'the notice')
    expect(await page.locator('[data-testid=wall-notice] a').allTextContents()).toEqual(['val_loss ', 'acc '])
    expect(errors).toEqual([])
  })
})
