// Pulse dashboard. Post text is untrusted: it is only ever inserted with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);

/** An element with a class and text content (text, never HTML). */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function pct(share) {
  return Math.round((share || 0) * 100) + "%";
}

async function getJson(url) {
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
  return body;
}

function sharesBar(sentiment) {
  const bar = el("div", "shares");
  for (const side of ["negative", "neutral", "positive"]) {
    const part = el("span", side.slice(0, 3));
    part.style.width = pct(sentiment[side]);
    part.title = side + " " + pct(sentiment[side]);
    bar.appendChild(part);
  }
  return bar;
}

/** A sparkline of numbers as an SVG polyline (coordinates computed here, no markup from data). */
function sparkline(values, color) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("viewBox", "0 0 100 40");
  svg.setAttribute("preserveAspectRatio", "none");
  const numbers = values.map((v) => (typeof v === "number" && isFinite(v) ? v : 0));
  const max = Math.max(...numbers, 0.000001);
  const min = Math.min(...numbers, 0);
  const points = numbers.map((v, i) => {
    const x = numbers.length > 1 ? (i / (numbers.length - 1)) * 100 : 50;
    const y = 38 - ((v - min) / (max - min || 1)) * 36;
    return x.toFixed(2) + "," + y.toFixed(2);
  });
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", points.join(" "));
  line.setAttribute("stroke", color);
  svg.appendChild(line);
  return svg;
}

function postNode(hit) {
  const node = el("div", "post", hit.text);
  const when = new Date(hit.created_at).toISOString().slice(0, 16).replace("T", " ");
  const score = hit.sentiment === null || hit.sentiment === undefined ? "no sentiment" : "sentiment " + hit.sentiment.toFixed(2);
  node.appendChild(el("span", "meta", "@" + hit.author + " · " + when + " UTC · " + score));
  return node;
}

let selectedTopic = null;

function renderTrends(body) {
  $("as-of").textContent = body.as_of;
  $("window").textContent = body.window;
  const list = $("trends");
  list.replaceChildren();
  if (body.trends.length === 0) {
    list.appendChild(el("li", "empty", "nothing is trending yet"));
    return;
  }
  for (const trend of body.trends) {
    const item = el("li", trend.topic === selectedTopic ? "selected" : "");
    item.dataset.topic = trend.topic;
    const title = el("div");
    title.appendChild(el("span", "trend-name", trend.display_name));
    title.appendChild(el("span", "badge " + trend.state, trend.state));
    item.appendChild(title);
    item.appendChild(el("div", "explanation", trend.explanation));
    if (trend.terms.length > 1) item.appendChild(el("div", "terms", trend.terms.slice(1).join(" · ")));
    item.appendChild(sharesBar(trend.sentiment));
    item.addEventListener("click", () => showTopic(trend.topic));
    list.appendChild(item);
  }
}

async function showTopic(topic) {
  selectedTopic = topic;
  for (const item of $("trends").children) item.classList.toggle("selected", item.dataset.topic === topic);
  const panel = $("topic");
  try {
    const stats = await getJson("/v1/topics/" + encodeURIComponent(topic));
    $("topic-title").textContent = stats.display_name;
    panel.replaceChildren();
    panel.appendChild(el("p", "meta", stats.posts + " posts from " + stats.authors + " accounts in the trend window; " + stats.expected + " expected"));
    panel.appendChild(el("div", "meta", "posts per bucket, last " + stats.window));
    panel.appendChild(sparkline(stats.series.map((p) => p.posts), "#58a6ff"));
    panel.appendChild(el("div", "meta", "mean sentiment per bucket"));
    panel.appendChild(sparkline(stats.series.map((p) => p.sentiment), "#3fb950"));
    const now = stats.sentiment_now;
    const shift = now.shift === null || now.shift === undefined ? "" : ", shift " + (now.shift >= 0 ? "+" : "") + now.shift.toFixed(2);
    panel.appendChild(el("p", "meta", "now: " + pct(now.negative) + " negative, " + pct(now.neutral) + " neutral, " + pct(now.positive) + " positive" + shift));
    panel.appendChild(sharesBar(now));
    for (const side of ["negative", "neutral", "positive"]) {
      const box = el("div", "side " + side);
      box.appendChild(el("h3", null, side + " (" + stats.representative.counts[side] + " posts)"));
      const posts = stats.representative[side];
      if (posts.length === 0) box.appendChild(el("p", "empty", "none"));
      for (const hit of posts) box.appendChild(postNode(hit));
      panel.appendChild(box);
    }
    if (stats.related.length) panel.appendChild(el("p", "meta", "related: " + stats.related.map((r) => r.topic).join(", ")));
  } catch (error) {
    panel.replaceChildren(el("p", "error", error.message));
  }
}

$("search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const results = $("results");
  const params = new URLSearchParams({ q: $("search-q").value, sort: $("search-sort").value, limit: "20" });
  try {
    const page = await getJson("/v1/search?" + params);
    results.replaceChildren(el("p", "meta", page.total + " posts"));
    for (const hit of page.hits) results.appendChild(postNode(hit));
  } catch (error) {
    results.replaceChildren(el("p", "error", error.message));
  }
});

$("ask-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const answer = $("answer");
  try {
    const body = await getJson("/v1/ask?" + new URLSearchParams({ q: $("ask-q").value }));
    answer.replaceChildren();
    for (const sentence of body.summary) answer.appendChild(el("p", null, sentence));
  } catch (error) {
    answer.replaceChildren(el("p", "error", error.message));
  }
});

function connect() {
  const source = new EventSource("/v1/stream");
  source.addEventListener("open", () => { $("status").textContent = "live"; });
  source.addEventListener("trends", (event) => renderTrends(JSON.parse(event.data)));
  source.addEventListener("error", () => { $("status").textContent = "reconnecting…"; });
}

/** Deep links: #topic=KEY opens a topic, #search=QUERY runs a search. */
function followHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.has("topic")) showTopic(params.get("topic"));
  if (params.has("search")) {
    $("search-q").value = params.get("search");
    $("search-form").requestSubmit();
  }
}

window.addEventListener("hashchange", followHash);
connect();
followHash();
