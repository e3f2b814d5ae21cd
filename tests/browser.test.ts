// The app in a real browser: the demo's runs in the table and curves that
// grow while you watch; a line appended to a store file reaching the chart.
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chartPoints, launchBrowser, openPage } from './helpers/browser.ts'
import { copyFixtureFileStore, tempDir } from './helpers/fixtures.ts'
import { startRunwatch, type RunwatchProcess } from './helpers/runwatch-process.ts'
import { waitFor } from './helpers/wait.ts'

let browser: Browser
const cleanups: (() => unknown)[] = []
beforeAll(async () => {
  browser = await launchBrowser()
})
afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn()
  await browser?.close()
})

async function serve(args: string[], cwd: string): Promise<RunwatchProcess & { url: string }> {
  const p = await startRunwatch([...args, '--port', '0'], cwd)
  cleanups.push(() => p.stop())
  return p
}

describe('runwatch in Chromium', () => {
  it('shows the demo runs in a table and a chart whose curves grow', async () => {
    const dir = tempDir()
    cleanups.push(dir.remove)
    const server = await serve(['--demo'], dir.path)
    const { page, errors } = await openPage(browser, server.url)
    await page.waitForSelector('[data-testid=run-table] tbody tr', { timeout: 15_000 })
    await waitFor(async () => (await page.locator('[data-testid=run-table] tbody tr').count()) >= 2, 'two demo runs in the table', 15_000)
    expect(await page.locator('[data-testid=live-chart] canvas').count()).toBeGreaterThan(0)
    expect(await page.inputValue('[data-testid=metric-picker]')).toBe('loss')
    const first = await waitFor(() => chartPoints(page), 'points on the chart')
    await waitFor(async () => (await chartPoints(page)) > first + 20, 'the curves to grow', 10_000)
    await expect(page.locator('[data-testid=connection-status]').textContent()).resolves.toBe('live')
    expect(page.url()).toMatch(/experiment=\d{18}/)
    expect(errors).toEqual([])
  })

  it('opens a copied MLflow store on its most recently active experiment and draws an appended point', async () => {
    const dir = tempDir()
    cleanups.push(dir.remove)
    const root = copyFixtureFileStore('mlflow-3.6', dir.path)
    const server = await serve([root], dir.path)
    const { page, errors } = await openPage(browser, server.url)
    await waitFor(async () => (await page.locator('[data-testid=run-table] tbody tr').count()) === 10, 'ten runs', 15_000)
    // run-13, the only RUNNING run, lives in demo-transformer.
    expect(await page.locator('[data-testid=experiment-picker] option:checked').textContent()).toMatch(/^demo-transformer/)
    await waitFor(async () => (await chartPoints(page)) === 10 * 500, 'every loss point drawn')

    const run13 = join(root, '366321049169809600', '5c8c275e575c4d4bb56b98b370d0d2dc')
    appendFileSync(join(run13, 'metrics', 'loss'), `${Date.now()} 0.01 500\n`)
    await waitFor(async () => (await chartPoints(page)) === 10 * 500 + 1, 'the appended point on the chart')
    expect(errors).toEqual([])
  })
})
