// Undertow report: episode list with filters and pages; an episode's page is decoded only when
// opened (gzip + base64 in a script block). Everything is built with textContent: the text of
// trajectories is data, never markup.
"use strict";

const PAGE = 50;
const CHUNK = 200;
const episodes = JSON.parse(document.getElementById("episodes-data").textContent);
const state = { page: 0, rows: episodes };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "onclick") node.addEventListener("click", value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function svgEl(tag, attrs, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

function fmt(value, digits = 2) {
  if (value === null || value === undefined) return "-";
  return typeof value === "number" ? value.toFixed(digits) : String(value);
}

function verdict(success, status) {
  if (status === "errored") return el("span", { class: "errored" }, "errored");
  if (success === null || success === undefined) return "-";
  return el("span", { class: success ? "pass" : "fail" }, success ? "pass" : "fail");
}

// ---- list -------------------------------------------------------------------------------------

function fillSelect(id, values) {
  const select = document.getElementById(id);
  for (const value of [...new Set(values)].sort()) select.append(el("option", {}, value));
  select.addEventListener("change", applyFilters);
}

function applyFilters() {
  const agent = document.getElementById("f-agent").value;
  const scenario = document.getElementById("f-scenario").value;
  const split = document.getElementById("f-split").value;
  const failures = document.getElementById("f-failures").checked;
  const text = document.getElementById("f-text").value.trim().toLowerCase();
  state.rows = episodes.filter(
    (e) =>
      (!agent || e.agent === agent) &&
      (!scenario || e.scenario === scenario) &&
      (!split || e.split === split) &&
      (!failures || e.status === "errored" || e.success === false) &&
      (!text || e.id.toLowerCase().includes(text))
  );
  state.page = 0;
  renderList();
}

function renderList() {
  const body = document.querySelector("#episode-list tbody");
  const pages = Math.max(1, Math.ceil(state.rows.length / PAGE));
  state.page = Math.min(state.page, pages - 1);
  const shown = state.rows.slice(state.page * PAGE, (state.page + 1) * PAGE);
  body.replaceChildren(
    ...shown.map((e) =>
      el(
        "tr",
        { class: "row", "data-n": e.n, onclick: () => openEpisode(e.n) },
        el("td", { class: "num" }, e.n),
        el("td", {}, e.id),
        el("td", {}, e.agent),
        el("td", {}, e.split),
        el("td", {}, e.status),
        el("td", {}, verdict(e.success, e.status)),
        el("td", { class: "num" }, fmt(e.score)),
        el("td", { class: "num" }, e.steps),
        el("td", { class: "num" }, e.errors),
        el("td", { class: "num" }, e.first_error === null ? "-" : e.first_error),
        el("td", { class: "num" }, e.tokens),
        el("td", { class: "num" }, fmt(e.cost_usd, 4))
      )
    )
  );
  document.getElementById("page").textContent = ` page ${state.page + 1} of ${pages} `;
  document.getElementById("f-count").textContent = `${state.rows.length} of ${episodes.length} episodes`;
  document.getElementById("prev").disabled = state.page === 0;
  document.getElementById("next").disabled = state.page >= pages - 1;
}

// ---- one episode ------------------------------------------------------------------------------

async function unpack(n) {
  const text = document.getElementById(`ep-${n}`).textContent.trim();
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(stream).text());
}

async function openEpisode(n) {
  const summary = episodes[n];
  const section = document.getElementById("episode");
  section.hidden = false;
  section.replaceChildren(el("p", { class: "note" }, "loading…"));
  const detail = await unpack(n);
  section.replaceChildren(...renderEpisode(summary, detail));
  section.scrollIntoView();
  history.replaceState(null, "", `#episode-${n}`);
}

function renderEpisode(summary, d) {
  const parts = [
    el("h2", {}, `Episode ${summary.n}: ${summary.id}`),
    el(
      "p",
      {},
      verdict(d.outcome.success, d.status),
      ` score ${fmt(d.outcome.score)} · ${summary.steps} steps · ${summary.errors} ledger errors · status ${d.status}`,
      d.error ? el("span", { class: "errored" }, ` · ${d.error}`) : null
    ),
    el("p", { class: "note" }, `verified outcome: ${d.outcome.detail}`),
    el("details", {}, el("summary", {}, "task"), el("pre", { class: "task" }, d.task)),
  ];
  if (d.outcome.subtasks.length) {
    parts.push(el("h3", {}, "Subtasks (verified)"));
    const claimed = new Map(d.claims.filter((c) => c[1] !== "episode").map((c) => [c[1], c]));
    parts.push(
      el(
        "table",
        { class: "subtasks" },
        el("tr", {}, el("th", {}, "id"), el("th", {}, "result"), el("th", {}, "score"),
          el("th", {}, "claimed (confidence)"), el("th", {}, "detail")),
        d.outcome.subtasks.map(([id, ok, score, detail]) =>
          el("tr", {}, el("td", {}, id), el("td", {}, verdict(ok)), el("td", { class: "num" }, fmt(score)),
            el("td", {}, claimed.has(id) ? `${claimed.get(id)[2]} (${fmt(claimed.get(id)[4])})` : "-"),
            el("td", {}, detail))
        )
      )
    );
  }
  parts.push(el("h3", {}, `Error ledger (${d.ledger.length})`));
  if (d.ledger.length) {
    parts.push(
      el(
        "table",
        { class: "ledger" },
        el("tr", {}, ["id", "step", "kind", "object", "caused by", "resolved at", "detail"].map((h) => el("th", {}, h))),
        d.ledger.map((e) =>
          el("tr", {}, el("td", {}, e.id), el("td", { class: "num" }, e.step), el("td", {}, e.kind), el("td", {}, e.object),
            el("td", {}, (e.caused_by || []).join(", ") || "-"), el("td", {}, e.resolved_at === null ? "open" : e.resolved_at),
            el("td", {}, e.detail || ""))
        )
      ),
      el("h3", {}, "Error cascade (causes to the left; dashed: resolved)"),
      drawGraph(d.cascade, { cascade: true })
    );
  } else {
    parts.push(el("p", { class: "note" }, "No errors were recorded."));
  }
  if (d.provenance) {
    parts.push(
      el("h3", {}, "Provenance: documents read → actors → messages → claims → questions"),
      el("p", { class: "note" }, "Red: planted documents and false claims. Edges: read, sent, sent to, contains, derived from."),
      drawGraph(d.provenance, {})
    );
  }
  parts.push(...renderTimeline(d.timeline), el("h3", {}, "Probes after the last step"),
    el("pre", { class: "task" }, d.final_probes));
  return parts;
}

function renderTimeline(rows) {
  const heading = el("h3", {}, `Timeline (${rows.length} steps)`);
  const legend = el(
    "p",
    { class: "legend note" },
    el("span", {}, el("i", { class: "swatch", style: "background:var(--ok)" }), "no open error"),
    el("span", {}, el("i", { class: "swatch", style: "background:var(--warn)" }), "open errors in the world"),
    el("span", {}, el("i", { class: "swatch", style: "background:var(--bad)" }), "an error raised at this step"),
    el("span", {}, "purple action: not a valid action")
  );
  const only = el("input", { type: "checkbox" });
  const table = el("table", { class: "timeline" });
  const more = el("button", {}, "show more");
  let limit = CHUNK;
  const draw = () => {
    const chosen = only.checked ? rows.filter((r) => r.events.length || !r.ok) : rows;
    table.replaceChildren(
      el("tr", {}, ["step", "actor", "action", "observation", "ledger", "probe changes", "tokens", "cost $"].map((h) => el("th", {}, h))),
      ...chosen.slice(0, limit).map(timelineRow)
    );
    more.hidden = chosen.length <= limit;
  };
  only.addEventListener("change", () => { limit = CHUNK; draw(); });
  more.addEventListener("click", () => { limit += CHUNK; draw(); });
  draw();
  return [heading, legend, el("label", {}, only, " only steps with ledger events or invalid actions"), table, more];
}

function timelineRow(r) {
  const raised = r.events.some((e) => e[0] === "raised");
  const health = raised ? 2 : r.open > 0 ? 1 : 0;
  const action = r.tool
    ? `${r.tool}(${r.args})${r.confidence === null || r.confidence === undefined ? "" : ` conf ${r.confidence}`}`
    : `invalid: ${r.raw}`;
  return el(
    "tr",
    { class: `h${health}${r.tool && r.ok ? "" : " invalid"}`, title: `${r.open} open errors after this step` },
    el("td", { class: "num" }, r.i),
    el("td", {}, r.actor || ""),
    el("td", { class: "act" }, action),
    el("td", { class: "obs" }, r.obs),
    el("td", {}, r.events.map((e) =>
      el("span", { class: `event ${e[0]}` }, e[0] === "raised" ? `+${e[1]} ${e[2]} ${e[3]}` : `✓${e[1]}`))),
    el("td", { class: "probes" }, Object.entries(r.probes).map(([k, v]) => `${k}=${v}`).join("; ")),
    el("td", { class: "num" }, r.tokens),
    el("td", { class: "num" }, r.cost ? r.cost.toFixed(5) : "")
  );
}

// ---- graphs -----------------------------------------------------------------------------------

function drawGraph(graph, { cascade }) {
  const columnWidth = 190, rowHeight = 24, boxWidth = 160, boxHeight = 18;
  const position = new Map();
  const perColumn = new Map();
  for (const node of graph.nodes) {
    const row = perColumn.get(node.column) || 0;
    perColumn.set(node.column, row + 1);
    position.set(node.id, { x: 10 + node.column * columnWidth, y: 10 + row * rowHeight, node });
  }
  const columns = Math.max(1, ...graph.nodes.map((n) => n.column + 1));
  const rows = Math.max(1, ...perColumn.values());
  const svg = svgEl("svg", { width: 20 + columns * columnWidth, height: 20 + rows * rowHeight });
  svg.append(svgEl("defs", {}, svgEl("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5",
    markerWidth: "6", markerHeight: "6", orient: "auto-start-reverse" }, svgEl("path", { d: "M0,0L10,5L0,10z", fill: "#999" }))));
  for (const [a, b, kind] of graph.edges) {
    const from = position.get(a), to = position.get(b);
    if (!from || !to) continue;
    const x1 = from.x + boxWidth, y1 = from.y + boxHeight / 2;
    const x2 = to.x, y2 = to.y + boxHeight / 2;
    const bend = Math.max(30, Math.abs(x2 - x1) / 2);
    const path = svgEl("path", { d: `M${x1},${y1}C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`,
      fill: "none", stroke: "#aaa", "marker-end": "url(#arrow)" });
    if (kind) path.append(svgEl("title", {}, kind));
    svg.append(path);
  }
  for (const { x, y, node } of position.values()) {
    const bad = cascade ? !node.resolved : node.flag;
    const box = svgEl("rect", { x, y, width: boxWidth, height: boxHeight, rx: 3,
      fill: bad ? "#fbe1de" : "#eef4fb", stroke: bad ? "#c0392b" : "#0072B2",
      "stroke-dasharray": cascade && node.resolved ? "3 2" : "" });
    box.append(svgEl("title", {}, node.title || node.id));
    svg.append(box, svgEl("text", { x: x + 5, y: y + 13, class: "node" }, node.label));
  }
  return el("div", { class: "graph" }, svg);
}

// ---- start ------------------------------------------------------------------------------------

fillSelect("f-agent", episodes.map((e) => e.agent));
fillSelect("f-scenario", episodes.map((e) => e.scenario));
document.getElementById("f-split").addEventListener("change", applyFilters);
document.getElementById("f-failures").addEventListener("change", applyFilters);
document.getElementById("f-text").addEventListener("input", applyFilters);
document.getElementById("prev").addEventListener("click", () => { state.page -= 1; renderList(); });
document.getElementById("next").addEventListener("click", () => { state.page += 1; renderList(); });
renderList();
const opened = /^#episode-(\d+)$/.exec(location.hash);
if (opened && episodes[Number(opened[1])]) openEpisode(Number(opened[1]));
