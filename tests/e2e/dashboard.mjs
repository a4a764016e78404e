// Loads the Pulse dashboard in headless Chromium and reports what a person would see, as JSON on
// stdout: the story headlines listed, the connection status, the open story's title and the text of
// its posts, and whether any hostile markup turned into elements or ran. The Rust test asserts on it.
//
//   node dashboard.mjs http://127.0.0.1:8080 STORY_ID
import { chromium } from "playwright-core";

const [base, story] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  const dialogs = [];
  page.on("dialog", async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
  await page.goto(`${base}/#story=${encodeURIComponent(story)}`);
  await page.locator(`#stories li[data-story="${story}"] .headline`).waitFor({ timeout: 30000 });
  await page.locator("#detail .post").first().waitFor({ timeout: 30000 });
  const report = await page.evaluate(() => ({
    title: document.title,
    status: document.getElementById("status").textContent,
    headlines: [...document.querySelectorAll("#stories .headline")].map((n) => n.textContent),
    selected: [...document.querySelectorAll("#stories li.selected")].map((n) => n.dataset.story),
    detail_title: document.getElementById("detail-title").textContent,
    posts: [...document.querySelectorAll("#detail .post")].map((n) => n.firstChild.textContent),
    sparklines: document.querySelectorAll("#detail svg.spark polyline").length,
    images: document.querySelectorAll("img").length,
    scripts: [...document.querySelectorAll("script")].map((s) => s.getAttribute("src")),
    pwned: document.body.dataset.pwned ?? null,
  }));
  report.dialogs = dialogs;
  console.log(JSON.stringify(report));
} finally {
  await browser.close();
}
