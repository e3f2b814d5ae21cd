// Debian's Chromium driven by playwright-core; never a downloaded browser.
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'

export const CHROMIUM = process.env.RUNWATCH_CHROMIUM ?? '/usr/bin/chromium'

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  })
}

/** A page that records console errors and uncaught exceptions. */
export async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  // A step that cannot happen fails on its own, naming the selector, before the test's timeout hides which it was.
  page.setDefaultTimeout(15_000)
  const errors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  page.on('pageerror', (e) => errors.push(String(e)))
  await page.goto(url)
  return { page, errors }
}

export async function chartPoints(page: Page): Promise<number> {
  return Number((await page.getAttribute('[data-testid=live-chart]', 'data-points')) ?? 0)
}

/**
 * One browser for a test file, and cleanups run after its tests (servers,
 * folders), in reverse order, before the browser closes.
 */
export function browserForFile(): { browser: () => Browser; cleanups: (() => unknown)[] } {
  let browser: Browser | undefined
  const cleanups: (() => unknown)[] = []
  beforeAll(async () => {
    browser = await launchBrowser()
  })
  afterAll(async () => {
    for (const fn of cleanups.reverse()) await fn()
    await browser?.close()
  })
  return { browser: () => browser!, cleanups }
}
