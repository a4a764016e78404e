// Loads the Pulse dashboard in headless Chromium (1400×1000) and reports what a person would see,
// as JSON on stdout: the story headlines listed, the connection status, the open story's title and
// the text of its posts, the colour of its sentiment line, whether its panel moved on with new data,
// every console error and failed request, and whether any hostile markup turned into elements or
// ran. The Rust test asserts on it.
//
//   node dashboard.mjs http://127.0.0.1:8080 STORY_ID
//   SCREENSHOT_DIR=docs node dashboard.mjs http://127.0.0.1:8080 STORY_ID   # also main.png, story.png
import { chromium } from "playwright-core";

const [base, story] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const dialogs = [];
  const errors = [];
  page.on("dialog", async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
  page.on("console", (message) => { if (message.type() === "error") errors.push(message.text()); });
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("response", (response) => { if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`); });
  const shots = process.env.SCREENSHOT_DIR;
  if (shots) {
    await page.goto(base);
    await page.locator(`#stories li[data-story="${story}"] .headline`).waitFor({ timeout: 30000 });
    await page.screenshot({ path: `${shots}/main.png` });
  }
  await page.goto(`${base}/#story=${encodeURIComponent(story)}`);
  await page.locator(`#stories li[data-story="${story}"] .headline`).waitFor({ timeout: 30000 });
  await page.locator("#detail .post").first().waitFor({ timeout: 30000 });
  if (shots) await page.screenshot({ path: `${shots}/story.png` });
  // The open panel follows the data: its timeline's last bucket moves on as the replay does.
  const lastBucket = () => page.evaluate(() => document.querySelector("#detail .axis span:last-child")?.textContent ?? null);
  const firstSeen = await lastBucket();
  let updated = false;
  for (let i = 0; i < 100 && !updated; i++) {
    await page.waitForTimeout(200);
    const now = await lastBucket();
    updated = now !== null && now !== firstSeen;
  }
  // At 3600× the window's newest posts may not be searchable yet when the panel refreshes (the
  // index commits about once a second): wait for a refresh that shows some.
  await page.locator("#detail .post").first().waitFor({ timeout: 30000 });
  const report = await page.evaluate(() => ({
    title: document.title,
    status: document.getElementById("status").textContent,
    headlines: [...document.querySelectorAll("#stories .headline")].map((n) => n.textContent),
    selected: [...document.querySelectorAll("#stories li.selected")].map((n) => n.dataset.story),
    detail_title: document.getElementById("detail-title").textContent,
    posts: [...document.querySelectorAll("#detail .post")].map((n) => n.firstChild.textContent),
    sparklines: document.querySelectorAll("#detail svg.spark polyline").length,
    reactions: [...document.querySelectorAll("#detail .reaction")].map((n) => ({
      label: n.querySelector("h4").textContent,
      posts: [...n.querySelectorAll(".post")].map((p) => p.firstChild.textContent),
    })),
    sentiment_stroke: getComputedStyle(document.querySelector("#detail .spark-box.sentiment polyline")).stroke,
    negative_colour: getComputedStyle(document.querySelector(".side.negative h3")).color,
    images: document.querySelectorAll("img").length,
    scripts: [...document.querySelectorAll("script")].map((s) => s.getAttribute("src")),
    pwned: document.body.dataset.pwned ?? null,
  }));
  report.dialogs = dialogs;
  report.errors = errors;
  report.detail_updated = updated;
  console.log(JSON.stringify(report));
} finally {
  await browser.close();
}
