// Starts the chosen headless browser through playwright-core: kept apart from export.ts so that the library's types, as notebooks load them, do not pull in Playwright's (about 0.1 s of every kernel's first cell).
import { CHROMIUM_FLAGS, type BrowserChoice } from "./browser";

/** Starts `choice` headless through playwright-core, with the flags and environment it needs. */
export async function launchBrowser(choice: BrowserChoice): Promise<import("playwright-core").Browser> {
  const playwright = require("playwright-core") as typeof import("playwright-core");
  return playwright.chromium.launch({
    executablePath: choice.executable,
    args: [...CHROMIUM_FLAGS],
    env: { ...process.env, ...choice.env },
    // The tslab kernel uses SIGINT to interrupt cells; that must not kill the browser.
    handleSIGINT: false,
    timeout: 60_000,
  });
}
