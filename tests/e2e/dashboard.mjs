// Loads the Pulse dashboard in headless Chromium and reports what a person would see, as JSON on
// stdout: the trend names listed, the connection status, the text of the posts in the topic panel,
// and whether any hostile markup turned into elements or ran. The Rust test asserts on it.
//
//   node dashboard.mjs http://127.0.0.1:8080 '#xsstest'
import { chromium } from "playwright-core";

const [base, topic] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  const dialogs = [];
  page.on("dialog", async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
  await page.goto(`${base}/#topic=${encodeURIComponent(topic)}`);
  await page.locator("#trends .trend-name", { hasText: topic }).first().waitFor({ timeout: 30000 });
  await page.locator("#topic .post").first().waitFor({ timeout: 30000 });
  const report = await page.evaluate(() => ({
    title: document.title,
    status: document.getElementById("status").textContent,
    trends: [...document.querySelectorAll("#trends .trend-name")].map((n) => n.textContent),
    posts: [...document.querySelectorAll("#topic .post")].map((n) => n.firstChild.textContent),
    images: document.querySelectorAll("img").length,
    scripts: [...document.querySelectorAll("script")].map((s) => s.getAttribute("src")),
    pwned: document.body.dataset.pwned ?? null,
  }));
  report.dialogs = dialogs;
  console.log(JSON.stringify(report));
} finally {
  await browser.close();
}
