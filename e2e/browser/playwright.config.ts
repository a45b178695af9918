// Playwright config: Debian's Chromium (/usr/bin/chromium, never a downloaded browser), headless, one worker,
// traces on failure, JUnit XML into build/results/playwright.xml (or PLAYWRIGHT_JUNIT_OUTPUT_NAME).
import { defineConfig } from "@playwright/test";
import * as path from "node:path";

const results = process.env.E2E_RESULTS_DIR ?? path.resolve(__dirname, "..", "..", "build", "results");
const junit = process.env.PLAYWRIGHT_JUNIT_OUTPUT_NAME
  ? path.resolve(process.env.PLAYWRIGHT_JUNIT_OUTPUT_NAME)
  : path.join(results, "playwright.xml");

export default defineConfig({
  testDir: "./tests",
  // Two cores: one worker keeps the reconnect timings honest (the backoff check judges every gap).
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 30_000,
  expect: { timeout: 5_000 },
  outputDir: path.join(results, "playwright-artifacts"),
  reporter: [["list"], ["junit", { outputFile: junit }]],
  use: {
    headless: true,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [{ name: "chromium" }],
});
