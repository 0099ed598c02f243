// maglevd's dashboard (docs/dashboard.md). No framework, no build step: this file is the page.
//
// Every name from the config is written with textContent, never as markup. The page starts
// from a snapshot (/v1/status, /v1/frontends), then follows /v1/events (server-
// sent events read through fetch(), so the bearer token travels in the Authorization header):
// an event marks the frontends it touches, and those are re-read in batches (at most one read
// in flight, BATCH frontends each) - the effective weights come from the daemon's one rule,
// never from the page. A lost stream marks the page stale, reconnects and reloads the snapshot.
"use strict";
(function () {
  const BATCH = 100;               // frontends per /dashboard/frontends read (the server's cap)
  const BACKENDS = 500;            // backends per read (the server's cap)
  const COALESCE = 250;            // ms a re-read waits for more events to join it
  const MAX_URL = 6000;            // characters of a batch URL (the server reads 8 KiB lines)
  const TIMELINE = 200;            // transitions kept in the timeline
  const STATUS_EVERY = 5000;       // ms between header refreshes (lag and VPP age change constantly)
  const TRAFFIC_EVERY = 2000;      // ms between re-reads of the rows on screen, for flows and rates
  const SILENCE = 40000;           // ms without even a heartbeat: the stream is dead
  const RETRY_MAX = 10000;         // ms, the longest wait between reconnects
  const TOKEN_KEY = "maglev-dashboard-token";
  const STATE_ORDER = { down: 0, unknown: 1, up: 2 };
  const MARKS = { up: "\u2191", down: "\u2193", paused: "\u2016", disabled: "\u00d7", unknown: "?", removed: "-" };

  const $ = (id) => document.getElementById(id);
  const model = {
    status: null,
    frontends: new Map(),  // name -> frontend view
    backends: new Map(),   // name -> backend view
    usedBy: new Map(),     // backend -> Set of frontend names
    blackholes: new Map(), // frontend -> {kind, rate} from the event stream
  };
  const view = { rows: new Map(), expanded: new Set(), filter: "", state: "", sort: "name" };
  const live = { dirty: new Set(), inFlight: false, timer: null, seq: 0, abort: null, retry: 1000, generation: 0 };
  let token = sessionStorage.getItem(TOKEN_KEY) || "";
  let timelineBuffer = [];
  let timelineTimer = null;
  let resortTimer = null;

  // -- small helpers ---------------------------------------------------------------------

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function ago(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) return "never";
    const s = Math.max(0, Math.round(seconds));
    if (s < 90) return s + " s";
    if (s < 5400) return Math.round(s / 60) + " min";
    if (s < 172800) return Math.round(s / 3600) + " h";
    return Math.round(s / 86400) + " d";
  }

  function badge(state) {
    const value = state || "unknown";
    const node = el("span", "badge state st-" + value, value);
    node.dataset.state = value;
    return node;
  }

  function notice(text, kind) {
    const box = $("notice");
    box.textContent = text;
    box.className = kind;
    box.hidden = false;
  }

  async function api(path, options) {
    const opts = options || {};
    const headers = Object.assign({ Accept: "application/json" }, opts.headers || {});
    if (token) headers.Authorization = "Bearer " + token;
    const response = await fetch(path, Object.assign({}, opts, { headers: headers, cache: "no-store" }));
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error((body.error && body.error.message) || response.statusText);
      error.code = (body.error && body.error.code) || "http-" + response.status;
      error.status = response.status;
      throw error;
    }
    return body;
  }

  // -- the header -------------------------------------------------------------------------

  function renderStatus(status) {
    model.status = status;
    $("hostname").textContent = status.hostname || "maglevd";
    document.title = (status.hostname || "") + " \u2014 maglevd";
    $("version").textContent = status.version || "";
    $("uptime").textContent = ago(status.uptime);
    const state = $("daemon-state");
    state.replaceChildren(badge(status.state === "ok" ? "up" : "down"));
    state.firstChild.textContent = status.state || "?";
    const reasons = Object.entries(status.degraded || {}).map(([k, v]) => k + ": " + v);
    state.title = reasons.join("\n");
    $("config").textContent = status.config || "";
    const reload = status.last_reload || {};
    const when = reload.time ? " " + ago(Date.now() / 1000 - reload.time) + " ago" : " (none since start)";
    const last = $("last-reload");
    last.replaceChildren(badge(reload.ok === false ? "down" : "up"), el("span", null, when));
    last.firstChild.textContent = reload.ok === false ? "failed" : "ok";
    last.title = (reload.errors || []).join("\n");
    if (reload.ok === false && reload.errors && reload.errors.length) {
      last.appendChild(el("span", "muted", " " + reload.errors[0]));
    }
    renderVpp(status.vpp);
    const lag = status.event_loop_lag || {};
    $("lag").textContent = ms(lag.last) + " (max " + ms(lag.max) + ")";
  }

  function ms(seconds) {
    return typeof seconds === "number" ? (seconds * 1000).toFixed(1) + " ms" : "?";
  }

  function renderVpp(vpp) {
    const node = $("vpp");
    const warmup = $("warmup");
    if (!vpp) {
      node.textContent = "not configured";
      warmup.textContent = "-";
      return;
    }
    if (!vpp.enabled) {
      node.textContent = "disabled";
      warmup.textContent = "-";
      return;
    } else {
      const age = vpp.last_ok_age === null || vpp.last_ok_age === undefined ? "never" : ago(vpp.last_ok_age) + " ago";
      node.replaceChildren(badge(vpp.connected ? "up" : "down"), el("span", null, " last round trip " + age));
      node.firstChild.textContent = vpp.state || (vpp.connected ? "connected" : "disconnected");
      node.title = vpp.degraded_reason || "";
    }
    const progress = vpp.warmup_progress;
    let text = vpp.warmup || "-";
    if (progress && vpp.warmup !== "done") {
      text += " " + Math.round(progress.elapsed) + " / " + progress.max_delay + " s, " + progress.waiting + " frontends waiting";
    }
    warmup.textContent = text;
  }

  async function refreshStatus() {
    try {
      renderStatus(await api("/v1/status"));
    } catch (error) {
      if (error.status === 401) needLogin(error);
    }
  }

  // -- the model --------------------------------------------------------------------------

  function putBackend(backend) {
    model.backends.set(backend.name, backend);
  }

  function putFrontend(frontend) {
    const old = model.frontends.get(frontend.name);
    if (old) forEachMember(old, (m) => { const s = model.usedBy.get(m.backend); if (s) s.delete(old.name); });
    model.frontends.set(frontend.name, frontend);
    forEachMember(frontend, (m) => {
      let users = model.usedBy.get(m.backend);
      if (!users) model.usedBy.set(m.backend, (users = new Set()));
      users.add(frontend.name);
    });
  }

  function forEachMember(frontend, fn) {
    for (const pool of frontend.pools || []) for (const member of pool.backends || []) fn(member, pool);
  }

  function traffic(frontend) {
    const t = frontend.traffic;
    let flows = null;
    forEachMember(frontend, (m) => { if (typeof m.flows === "number") flows = (flows || 0) + m.flows; });
    let rate = null;
    if (t && t.rates) rate = Object.values(t.rates).reduce((a, b) => a + (b || 0), 0);
    // The latest read's figure first; the alarm event only until a read carries it.
    const hole = (t && t.blackhole) || model.blackholes.get(frontend.name) || null;
    return { flows: flows, rate: rate, blackhole: hole };
  }

  // The backends' health (counter, last transitions) is read only for the frontends shown
  // expanded, with their batch read: at a thousand frontends, /v1/backends would double what
  // the first render waits for.
  async function loadSnapshot() {
    document.body.dataset.snapshots = String(Number(document.body.dataset.snapshots || 0) + 1);
    const [status, frontends] = await Promise.all([api("/v1/status"), api("/v1/frontends")]);
    model.frontends = new Map();
    model.backends = new Map();
    model.usedBy = new Map();
    frontends.forEach(putFrontend);
    live.dirty.clear();
    renderStatus(status);
    renderAll();
    document.body.dataset.loaded = "1";
    document.body.dataset.firstRenderMs = document.body.dataset.firstRenderMs || String(Math.round(performance.now()));
    markFrontends(Array.from(view.expanded).filter((name) => model.frontends.has(name)));
  }

  // -- the frontend table -----------------------------------------------------------------

  function matches(frontend) {
    const f = view.filter;
    if (view.state === "blackhole" && !traffic(frontend).blackhole) return false;
    if (view.state === "problem") {
      let all = true;
      forEachMember(frontend, (m) => { if (m.state !== "up") all = false; });
      if (all) return false;
    } else if (view.state && view.state !== "blackhole" && frontend.state !== view.state) return false;
    if (!f) return true;
    if (frontend.name.toLowerCase().includes(f) || frontend.address.includes(f)) return true;
    if ((frontend.description || "").toLowerCase().includes(f)) return true;
    let hit = false;
    forEachMember(frontend, (m) => { if (m.backend.toLowerCase().includes(f)) hit = true; });
    return hit;
  }

  function upCount(frontend) {
    let up = 0, all = 0;
    forEachMember(frontend, (m) => { all += 1; if (m.state === "up") up += 1; });
    return [up, all];
  }

  function compare(a, b) {
    switch (view.sort) {
      case "state": return (STATE_ORDER[a.state] ?? 1) - (STATE_ORDER[b.state] ?? 1) || a.name.localeCompare(b.name);
      case "vip": return a.address.localeCompare(b.address, undefined, { numeric: true }) || a.port - b.port;
      case "backends": { const x = upCount(a), y = upCount(b); return x[0] / (x[1] || 1) - y[0] / (y[1] || 1) || a.name.localeCompare(b.name); }
      case "rate": return (traffic(b).rate || 0) - (traffic(a).rate || 0) || a.name.localeCompare(b.name);
      default: return a.name.localeCompare(b.name);
    }
  }

  function renderAll() {
    const shown = Array.from(model.frontends.values()).filter(matches).sort(compare);
    const fragment = document.createDocumentFragment();
    view.rows = new Map();
    for (const frontend of shown) {
      const rows = frontendRows(frontend);
      view.rows.set(frontend.name, rows);
      rows.forEach((row) => fragment.appendChild(row));
    }
    $("frontend-rows").replaceChildren(fragment);
    $("counts").textContent = "showing " + shown.length + " of " + model.frontends.size + " frontends";
  }

  function rerender(name) {
    const old = view.rows.get(name);
    const frontend = model.frontends.get(name);
    if (!old) return false;
    if (!frontend || !matches(frontend)) {
      old.forEach((row) => row.remove());
      view.rows.delete(name);
      return true;
    }
    const rows = frontendRows(frontend);
    old[0].replaceWith(rows[0]);
    if (old[1]) old[1].remove();
    if (rows[1]) rows[0].after(rows[1]);
    view.rows.set(name, rows);
    return false;
  }

  function frontendRows(frontend) {
    const row = el("tr", "frontend");
    row.dataset.frontend = frontend.name;
    const open = view.expanded.has(frontend.name);
    const toggle = el("button", "expand", open ? "\u25be" : "\u25b8");
    toggle.type = "button";
    toggle.title = open ? "hide pools" : "show pools";
    toggle.setAttribute("aria-expanded", String(open));
    toggle.dataset.toggle = frontend.name;
    const name = el("td", "name");
    name.appendChild(el("span", "fe-name", frontend.name));
    if (frontend.description) name.appendChild(el("span", "desc", frontend.description));
    const t = traffic(frontend);
    if (t.blackhole) {
      const mark = el("span", "blackhole", "BLACK HOLE " + t.blackhole.kind + " " + Number(t.blackhole.rate || 0).toFixed(0) + " pkt/s");
      mark.title = "packets arrive for this VIP and are dropped (" + t.blackhole.kind + ")";
      name.appendChild(mark);
    }
    const pool = (frontend.pools || [])[frontend.active_pool];
    const [up, all] = upCount(frontend);
    const cells = [
      cell(toggle), name,
      el("td", "vip", frontend.address + " " + frontend.protocol + ":" + frontend.port),
      cell(badge(frontend.state)),
      el("td", "active-pool", pool ? pool.name : "none"),
      el("td", "num up-count", up + " / " + all),
      el("td", "num flows", t.flows === null ? "-" : t.flows),
      el("td", "num rate", t.rate === null ? "-" : t.rate.toFixed(0)),
    ];
    row.replaceChildren(...cells);
    if (!open) return [row];
    const detail = el("tr", "detail");
    detail.dataset.detailOf = frontend.name;
    const td = el("td");
    td.colSpan = 8;
    (frontend.pools || []).forEach((p) => td.appendChild(poolBlock(frontend, p)));
    detail.appendChild(td);
    return [row, detail];
  }

  function cell(child) {
    const td = el("td");
    td.appendChild(child);
    return td;
  }

  function poolBlock(frontend, pool) {
    const block = el("div", "pool" + (pool.active ? " active" : ""));
    block.dataset.pool = pool.name;
    block.appendChild(el("h3", null, "pool " + pool.name));
    const table = el("table");
    const head = el("tr");
    ["backend", "address", "state", "weight cfg / eff", "health counter", "last transition", "flows", ""].forEach((h) => head.appendChild(el("th", null, h)));
    table.appendChild(el("thead")).appendChild(head);
    const body = el("tbody");
    for (const member of pool.backends || []) body.appendChild(memberRow(frontend, pool, member));
    table.appendChild(body);
    block.appendChild(table);
    return block;
  }

  function memberRow(frontend, pool, member) {
    const row = el("tr", "member");
    row.dataset.frontend = frontend.name;
    row.dataset.pool = pool.name;
    row.dataset.backend = member.backend;
    const health = model.backends.get(member.backend) || {};
    const last = (health.history || [])[0];
    const weight = el("td", "num weight");
    weight.appendChild(el("span", "cfg-weight", member.configured_weight));
    weight.appendChild(document.createTextNode(" / "));
    weight.appendChild(el("span", "eff-weight" + (member.weight !== member.configured_weight ? " weight-moved" : ""), member.weight));
    const healthText = !health.name ? "\u2026" : health.rise ? health.counter + " (rise " + health.rise + ", fall " + health.fall + ")" : "-";
    const lastText = !health.name ? "\u2026" : last ? last.from + " \u2192 " + last.to + " " + ago(Date.now() / 1000 - last.time) + " ago" : "none";
    const cells = [
      el("td", "be-name", member.backend), el("td", null, member.address),
      cell(badge(member.state)), weight, el("td", "health", healthText),
      el("td", "last", lastText), el("td", "num", typeof member.flows === "number" ? member.flows : "-"),
      actionsCell(frontend, pool, member),
    ];
    if (member.enabled === false) cells[2].appendChild(el("span", "muted", " (disabled by operator)"));
    row.replaceChildren(...cells);
    return row;
  }

  function actionsCell(frontend, pool, member) {
    const td = el("td", "actions");
    if (!token) return td;
    for (const action of ["pause", "resume", "enable", "disable", "weight"]) {
      const button = el("button", null, action);
      button.type = "button";
      button.dataset.action = action;
      button.dataset.backend = member.backend;
      button.dataset.frontend = frontend.name;
      button.dataset.pool = pool.name;
      td.appendChild(button);
    }
    return td;
  }

  // -- operator actions ---------------------------------------------------------------------

  async function act(button) {
    const { action, backend, frontend, pool } = button.dataset;
    let path, options;
    if (action === "weight") {
      const answer = window.prompt("New weight (0-100) of " + backend + " in pool " + pool + " of " + frontend + ":");
      if (answer === null) return;
      const weight = Number(answer);
      if (!window.confirm("Set the weight of " + backend + " in " + frontend + "/" + pool + " to " + answer + "?")) return;
      path = "/v1/frontends/" + encodeURIComponent(frontend) + "/pools/" + encodeURIComponent(pool) + "/backends/" + encodeURIComponent(backend) + "/weight";
      options = { method: "PUT", body: JSON.stringify({ weight: Number.isInteger(weight) ? weight : answer }), headers: { "Content-Type": "application/json" } };
    } else {
      if (!window.confirm(action.charAt(0).toUpperCase() + action.slice(1) + " backend " + backend + "? It applies to every frontend that uses it.")) return;
      path = "/v1/backends/" + encodeURIComponent(backend) + "/" + action;
      options = { method: "POST" };
    }
    try {
      const result = await api(path, options);
      notice(action + " " + backend + ": " + (result.changed ? "done" : "nothing to change"), "ok");
      markBackend(backend);
      if (action === "weight") markFrontends([frontend]);
    } catch (error) {
      notice(action + " " + backend + " refused (" + error.code + "): " + error.message, "error");
    }
  }

  // -- live: the event stream -----------------------------------------------------------------

  function markBackend(name) {
    markFrontends(model.usedBy.get(name) || []);
  }

  // Re-reads wait COALESCE ms, so that a burst of events costs the daemon one read, not many.
  function markFrontends(names) {
    for (const name of names) live.dirty.add(name);
    document.body.dataset.pending = String(live.dirty.size);
    if (!live.timer) live.timer = setTimeout(() => { live.timer = null; pump(); }, COALESCE);
  }

  async function pump() {
    if (live.inFlight || live.dirty.size === 0) return;
    live.inFlight = true;
    const names = [];
    const health = new Set();  // the backends of the expanded frontends in this batch
    let url = "/dashboard/frontends?";
    for (const name of live.dirty) {
      let part = "name=" + encodeURIComponent(name) + "&";
      const frontend = model.frontends.get(name);
      const more = [];
      if (view.expanded.has(name) && frontend) {
        forEachMember(frontend, (m) => { if (!health.has(m.backend) && !more.includes(m.backend)) more.push(m.backend); });
      }
      let kept = 0;  // a huge pool: the first backends' health only, within the caps
      for (const b of more) {
        const extra = "backend=" + encodeURIComponent(b) + "&";
        if (kept >= BACKENDS || part.length + extra.length > MAX_URL / 2) break;
        part += extra;
        kept += 1;
      }
      more.length = kept;
      if (names.length && (names.length >= BATCH || health.size + kept > BACKENDS || url.length + part.length > MAX_URL)) break;
      names.push(name);
      more.forEach((b) => health.add(b));
      url += part;
    }
    names.forEach((n) => live.dirty.delete(n));
    const generation = live.generation;
    try {
      const batch = await api(url);
      if (generation === live.generation) applyBatch(batch);
    } catch (error) {
      if (generation === live.generation) names.forEach((n) => live.dirty.add(n));
    } finally {
      live.inFlight = false;
      document.body.dataset.pending = String(live.dirty.size);
      if (live.dirty.size && document.body.dataset.stream === "live") setTimeout(pump, 0);
    }
  }

  function applyBatch(batch) {
    batch.backends.forEach(putBackend);
    batch.frontends.forEach(putFrontend);
    let removed = false;
    for (const name of batch.missing) {
      model.frontends.delete(name);
      removed = rerender(name) || removed;
    }
    for (const frontend of batch.frontends) {
      if (!view.rows.has(frontend.name) && matches(frontend)) removed = true;  // newly matching
      else rerender(frontend.name);
    }
    if (removed) renderAll();
    else if (view.sort !== "name") scheduleResort();
  }

  // Flows and packet rates change with every traffic read, without an event: the rows on
  // screen (and the expanded ones) are re-read every TRAFFIC_EVERY ms while maglevd reads
  // VPP's traffic. Rows out of view keep their last figures until they scroll into view.
  function refreshTraffic() {
    if (document.body.dataset.stream !== "live" || document.hidden) return;
    const reads = model.status && model.status.vpp && model.status.vpp.traffic;
    if (!reads || reads.state === "off") return;
    const names = [];
    const height = window.innerHeight;
    for (const [name, rows] of view.rows) {
      const box = rows[0].getBoundingClientRect();
      if ((box.bottom >= 0 && box.top <= height) || view.expanded.has(name)) names.push(name);
    }
    markFrontends(names);
  }

  function scheduleResort() {
    if (resortTimer) return;
    resortTimer = setTimeout(() => { resortTimer = null; renderAll(); }, 2000);
  }

  function onEvent(event) {
    if (typeof event.seq === "number") {
      live.seq = event.seq;
      document.body.dataset.seq = String(event.seq);
    }
    switch (event.type) {
      case "backend-transition": {
        const b = model.backends.get(event.backend);
        if (b) b.state = event.to;
        markBackend(event.backend);
        timeline(event, "backend " + event.backend, event.from + " \u2192 " + event.to + (event.code && event.code !== event.to ? " (" + event.code + ")" : ""), event.to);
        break;
      }
      case "frontend-transition":
        markFrontends([event.frontend]);
        timeline(event, "frontend " + event.frontend, event.from + " \u2192 " + event.to, event.to);
        break;
      case "weight-change":
        markFrontends([event.frontend]);
        timeline(event, "weight " + event.frontend + "/" + event.pool + "/" + event.backend, event.from + " \u2192 " + event.to, "unknown");
        break;
      case "frontend-blackhole":
        model.blackholes.set(event.frontend, { kind: event.kind, rate: event.rate });
        markFrontends([event.frontend]);
        timeline(event, "frontend " + event.frontend, "BLACK HOLE (" + event.kind + ")", "down");
        break;
      case "frontend-blackhole-cleared":
        model.blackholes.delete(event.frontend);
        markFrontends([event.frontend]);
        timeline(event, "frontend " + event.frontend, "black hole cleared", "up");
        break;
      case "config-reload":
      case "dropped":
        if (event.type === "dropped") document.body.dataset.dropped = String(Number(document.body.dataset.dropped || 0) + event.count);
        resync();
        if (event.type === "config-reload") timeline(event, "config", "reloaded", "up");
        break;
      case "config-reload-failed":
        refreshStatus();
        timeline(event, "config", "reload failed: " + ((event.errors || [])[0] || ""), "down");
        break;
      case "vpp-sync":
        break;
      default:
        break;
    }
  }

  function timeline(event, what, change, state) {
    timelineBuffer.push({ time: event.time, what: what, change: change, state: state });
    if (timelineBuffer.length > TIMELINE) timelineBuffer = timelineBuffer.slice(-TIMELINE);
    if (!timelineTimer) timelineTimer = setTimeout(flushTimeline, 100);
  }

  function flushTimeline() {
    timelineTimer = null;
    const list = $("timeline");
    const fragment = document.createDocumentFragment();
    for (let i = timelineBuffer.length - 1; i >= 0; i--) {
      const item = timelineBuffer[i];
      const li = el("li", "st-" + item.state);
      li.dataset.state = item.state;
      li.appendChild(el("span", "mark", MARKS[item.state] || "\u2022"));
      const when = item.time ? new Date(item.time * 1000).toLocaleTimeString([], { hour12: false }) : "";
      li.appendChild(el("span", "muted", " " + when + " "));
      li.appendChild(el("span", "what", item.what + " "));
      li.appendChild(el("span", "change", item.change));
      fragment.appendChild(li);
    }
    timelineBuffer = [];
    list.prepend(fragment);
    while (list.childElementCount > TIMELINE) list.lastElementChild.remove();
  }

  function setStream(state, text) {
    document.body.dataset.stream = state;
    $("stream-state").textContent = text;
  }

  async function connect() {
    const generation = ++live.generation;
    const controller = new AbortController();
    live.abort = controller;
    const headers = { Accept: "text/event-stream" };
    if (token) headers.Authorization = "Bearer " + token;
    let watchdog = null;
    const feed = () => { clearTimeout(watchdog); watchdog = setTimeout(() => controller.abort(), SILENCE); };
    try {
      const response = await fetch("/v1/events?noreplay=1", { headers: headers, signal: controller.signal, cache: "no-store" });
      if (!response.ok) {
        const body = await response.json().catch(() => ({}));
        const error = new Error((body.error && body.error.message) || response.statusText);
        error.status = response.status;
        error.code = body.error && body.error.code;
        throw error;
      }
      feed();
      // Subscribed before the snapshot is read: nothing that happens in between is missed.
      await loadSnapshot();
      setStream("live", "live");
      live.retry = 1000;
      pump();
      await readStream(response.body.getReader(), feed);
      throw new Error("the daemon ended the event stream");
    } catch (error) {
      clearTimeout(watchdog);
      if (generation !== live.generation) return;  // replaced by a newer connection
      if (error.status === 401) { needLogin(error); return; }
      const wait = live.retry;
      live.retry = Math.min(RETRY_MAX, live.retry * 2);
      setStream("stale", "stale since " + new Date().toLocaleTimeString() + ": " + (error.message || "connection lost") + "; reconnecting");
      setTimeout(() => { if (generation === live.generation) connect(); }, wait);
    }
  }

  async function readStream(reader, feed) {
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      feed();
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
        if (data) onEvent(JSON.parse(data));
      }
    }
  }

  function resync() {
    if (live.abort) live.abort.abort();
    live.dirty.clear();
    connect();
  }

  // -- login ----------------------------------------------------------------------------------

  function needLogin(error) {
    setStream("stale", "log in: " + error.message);
    notice(error.message, "error");
    $("token").focus();
  }

  function renderLogin() {
    $("logout-button").hidden = !token;
    $("login-button").textContent = token ? "Change token" : "Log in";
  }

  function wire() {
    $("login").addEventListener("submit", (e) => {
      e.preventDefault();
      token = $("token").value.trim();
      $("token").value = "";
      if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
      $("notice").hidden = true;
      renderLogin();
      resync();
    });
    $("logout-button").addEventListener("click", () => {
      token = "";
      sessionStorage.removeItem(TOKEN_KEY);
      renderLogin();
      resync();
    });
    $("filter").addEventListener("input", (e) => { view.filter = e.target.value.trim().toLowerCase(); renderAll(); });
    $("state-filter").addEventListener("change", (e) => { view.state = e.target.value; renderAll(); });
    $("sort").addEventListener("change", (e) => { view.sort = e.target.value; renderAll(); });
    $("frontend-rows").addEventListener("click", (e) => {
      const target = e.target.closest("button");
      if (!target) return;
      if (target.dataset.toggle !== undefined) {
        const name = target.dataset.toggle;
        if (view.expanded.has(name)) view.expanded.delete(name); else { view.expanded.add(name); markFrontends([name]); }
        rerender(name);
      } else if (target.dataset.action) {
        act(target);
      }
    });
    setInterval(refreshStatus, STATUS_EVERY);
    setInterval(refreshTraffic, TRAFFIC_EVERY);
  }

  wire();
  renderLogin();
  connect();
})();
