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

/** "1 post", "2 posts". */
function count(n, noun) {
  return n + " " + noun + (n === 1 ? "" : "s");
}

function pct(share) {
  return Math.round((share || 0) * 100) + "%";
}

function hhmm(iso) {
  return new Date(iso).toISOString().slice(11, 16);
}

async function getJson(url) {
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
  return body;
}

/** The shares as a bar; `null` (no post could be scored: sentiment is English-only) says so. */
function sharesBar(sentiment) {
  if (sentiment === null || sentiment === undefined) return el("div", "meta", "no sentiment (no English posts)");
  const bar = el("div", "shares");
  for (const side of ["negative", "neutral", "positive"]) {
    const part = el("span", side.slice(0, 3));
    part.style.width = pct(sentiment[side]);
    part.title = side + " " + pct(sentiment[side]);
    bar.appendChild(part);
  }
  return bar;
}

/**
 * A sparkline of a series ({at, value}) as an SVG polyline (coordinates computed here, no markup
 * from data), with its first and last times under it. `kind` is "volume" or "sentiment": a
 * sentiment line is drawn in the colour of its sign, around a zero line.
 */
function sparkline(points, kind) {
  const box = el("div", "spark-box " + kind);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("viewBox", "0 0 100 40");
  svg.setAttribute("preserveAspectRatio", "none");
  const known = points.filter((p) => typeof p.value === "number" && isFinite(p.value));
  const values = points.map((p) => (typeof p.value === "number" && isFinite(p.value) ? p.value : 0));
  const max = kind === "sentiment" ? 1 : Math.max(...values, 0.000001);
  const min = kind === "sentiment" ? -1 : 0;
  const y = (v) => 38 - ((v - min) / (max - min || 1)) * 36;
  if (kind === "sentiment") {
    const zero = document.createElementNS(ns, "line");
    zero.setAttribute("x1", "0");
    zero.setAttribute("x2", "100");
    zero.setAttribute("y1", y(0).toFixed(2));
    zero.setAttribute("y2", y(0).toFixed(2));
    zero.setAttribute("class", "zero");
    svg.appendChild(zero);
  }
  const coords = values.map((v, i) => {
    const x = values.length > 1 ? (i / (values.length - 1)) * 100 : 50;
    return x.toFixed(2) + "," + y(v).toFixed(2);
  });
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", coords.join(" "));
  const mean = known.reduce((sum, p) => sum + p.value, 0) / (known.length || 1);
  line.setAttribute("class", kind === "sentiment" ? (mean < 0 ? "negative" : "positive") : "volume");
  svg.appendChild(line);
  box.appendChild(svg);
  if (points.length) {
    const axis = el("div", "axis");
    axis.appendChild(el("span", null, hhmm(points[0].at)));
    axis.appendChild(el("span", null, hhmm(points[points.length - 1].at) + " UTC"));
    box.appendChild(axis);
  }
  return box;
}

function postNode(hit) {
  const node = el("div", "post");
  node.appendChild(el("span", "text", hit.text));
  const when = new Date(hit.created_at).toISOString().slice(0, 16).replace("T", " ");
  const score = hit.sentiment === null || hit.sentiment === undefined ? "no sentiment" : "sentiment " + hit.sentiment.toFixed(2);
  const meta = el("span", "meta", "@" + hit.author + " · " + when + " UTC · " + score + " · ");
  if (hit.url && /^https?:\/\//.test(hit.url)) {
    const link = el("a", null, "original");
    link.href = hit.url;
    link.rel = "noopener noreferrer";
    link.target = "_blank";
    meta.appendChild(link);
  }
  node.appendChild(meta);
  return node;
}

function storyPostNode(post) {
  const node = el("div", "post");
  node.appendChild(el("span", "text", post.text));
  const copies = post.copies > 1 ? " · " + post.copies + " copies" : "";
  node.appendChild(el("span", "meta", "@" + post.author + " · " + hhmm(post.created_at) + " UTC" + copies));
  return node;
}

/** The story's reaction groups: what people are saying, each with its share of accounts. */
function reactionsNode(reactions) {
  const box = el("div", "reactions");
  box.appendChild(el("h3", null, "What people are saying"));
  const sampled = reactions.sampled < reactions.posts ? " (a sample of " + reactions.sampled + ")" : "";
  box.appendChild(el("p", "meta", count(reactions.posts, "post") + " in the window" + sampled + ", " + count(reactions.authors, "account")));
  for (const group of reactions.groups) {
    const node = el("div", "reaction " + group.reaction);
    node.appendChild(el("h4", null, group.label));
    node.appendChild(el("p", "meta", pct(group.author_share) + " of accounts · " + count(group.posts, "post")));
    if (group.sentiment.scored > 0) node.appendChild(sharesBar(group.sentiment));
    for (const hit of group.representative) node.appendChild(postNode(hit));
    box.appendChild(node);
  }
  return box;
}

let openStory = null;

function renderStories(body) {
  $("as-of").textContent = body.as_of;
  $("window").textContent = body.window;
  const list = $("stories");
  list.replaceChildren();
  if (body.stories.length === 0) {
    list.appendChild(el("li", "empty", "nothing is trending yet"));
    return;
  }
  for (const story of body.stories) {
    const card = el("li", "card" + (story.id === openStory ? " selected" : ""));
    card.dataset.story = story.id;
    const title = el("div", "card-title");
    title.appendChild(el("span", "headline", story.headline));
    card.appendChild(title);
    const meta = el("div", "meta");
    meta.appendChild(el("span", "badge " + story.state, story.state));
    meta.appendChild(el("span", null, " " + story.posts + " posts · " + story.authors + " accounts"));
    card.appendChild(meta);
    card.appendChild(el("div", "terms", story.terms.slice(0, 6).join(" · ")));
    card.appendChild(sparkline(story.series.map((p) => ({ at: p.at, value: p.posts })), "volume"));
    card.appendChild(sharesBar(story.sentiment));
    card.addEventListener("click", () => showStory(story.id));
    list.appendChild(card);
  }
  if (openStory && body.stories.some((s) => s.id === openStory)) showStory(openStory, true);
}

async function showStory(id, refresh) {
  openStory = id;
  if (!refresh) history.replaceState(null, "", "#story=" + encodeURIComponent(id));
  for (const item of $("stories").children) item.classList.toggle("selected", item.dataset.story === id);
  const panel = $("detail");
  try {
    const story = await getJson("/v1/stories/" + encodeURIComponent(id));
    $("detail-title").textContent = story.headline;
    panel.replaceChildren();
    panel.appendChild(el("p", "meta", story.explanation));
    if (story.summary.length) {
      panel.appendChild(el("h3", null, "What is being said"));
      for (const post of story.summary) panel.appendChild(storyPostNode(post));
    }
    if (story.headline_post) panel.appendChild(el("p", "meta", "Headline from @" + story.headline_post.author + ", " + hhmm(story.headline_post.created_at) + " UTC, " + (story.headline_post.copies === 1 ? "1 copy" : story.headline_post.copies + " copies")));
    panel.appendChild(el("p", "terms", "Topics: " + story.terms.join(" · ")));
    if (story.entities.length) panel.appendChild(el("p", "terms", "Names: " + story.entities.join(" · ")));
    panel.appendChild(el("div", "meta", "posts per bucket (any of its topics)"));
    panel.appendChild(sparkline(story.timeline.map((p) => ({ at: p.at, value: p.posts })), "volume"));
    panel.appendChild(el("div", "meta", "mean sentiment per bucket"));
    panel.appendChild(sparkline(story.timeline.map((p) => ({ at: p.at, value: p.sentiment })), "sentiment"));
    const s = story.sentiment;
    if (s) {
      const shift = s.shift === null || s.shift === undefined ? "" : ", shift " + (s.shift >= 0 ? "+" : "") + s.shift.toFixed(2);
      panel.appendChild(el("p", "meta", pct(s.negative) + " negative, " + pct(s.neutral) + " neutral, " + pct(s.positive) + " positive" + shift));
    }
    panel.appendChild(sharesBar(s));
    panel.appendChild(reactionsNode(story.reactions));
    for (const side of ["negative", "neutral", "positive"]) {
      const box = el("div", "side " + side);
      box.appendChild(el("h3", null, side + " (" + count(story.representative.counts[side], "post") + ")"));
      const posts = story.representative[side];
      if (posts.length === 0) box.appendChild(el("p", "empty", "none"));
      for (const hit of posts) box.appendChild(postNode(hit));
      panel.appendChild(box);
    }
    if (story.related.length) {
      panel.appendChild(el("h3", null, "Related stories"));
      for (const other of story.related) {
        const link = el("a", "related", other.headline);
        link.href = "#story=" + encodeURIComponent(other.id);
        panel.appendChild(link);
      }
    }
  } catch (error) {
    if (!refresh) panel.replaceChildren(el("p", "error", error.message));
  }
}

$("search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const results = $("results");
  const params = new URLSearchParams({ q: $("search-q").value, sort: $("search-sort").value, limit: "20" });
  try {
    const page = await getJson("/v1/search?" + params);
    results.replaceChildren(el("p", "meta", count(page.total, "post")));
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
  source.addEventListener("stories", (event) => renderStories(JSON.parse(event.data)));
  source.addEventListener("error", () => { $("status").textContent = "reconnecting…"; });
}

/** Deep links: #story=ID opens a story, #search=QUERY runs a search. */
function followHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.has("story")) showStory(params.get("story"));
  if (params.has("search")) {
    $("search-q").value = params.get("search");
    $("search-form").requestSubmit();
  }
}

window.addEventListener("hashchange", followHash);
connect();
followHash();
