// gatewatch history page: the incident list (/), one incident (/incidents/ID) and one source's
// last day (/sources/NAME), drawn from the status server's JSON endpoints.
//
// Everything shown comes from logs or config and may be hostile (a request path holding
// "<script>"): the DOM is built with createElement/createElementNS and textContent only, never
// from HTML text. No request leaves this server; no framework, no build step.
//
// Hooks for tests: document.body.dataset.state goes "loading" → "ready" once every fetch is
// rendered, or "error" with the message in #error.
"use strict";

(() => {
  const SVG_NS = "http://www.w3.org/2000/svg";
  const MINUTE_MS = 60 * 1000;
  const HOUR_MS = 60 * MINUTE_MS;
  const DAY_MS = 24 * HOUR_MS;
  // /api/sources/{name}/minutes answers at most this span (kMaxMinuteSpan).
  const MAX_CHART_SPAN_MS = 14 * DAY_MS;
  // Incidents per list page, and on a source page's day.
  const PAGE_SIZE = 100;
  const SOURCE_PAGE_INCIDENTS = 1000;
  // The incident chart shows this much before the start and after the end.
  const CHART_MARGIN_MS = HOUR_MS;

  // ---------------------------------------------------------------------------------------------
  // DOM helpers: attributes and text only.

  // el("td", {class: "x", dataset: {field: "rule"}}, "text", child) → element.
  function build(element, attrs, children) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "dataset") {
        for (const [key, data] of Object.entries(value)) {
          if (data !== undefined && data !== null) element.dataset[key] = String(data);
        }
      } else if (name === "class") {
        element.setAttribute("class", value);
      } else {
        element.setAttribute(name, value === true ? "" : String(value));
      }
    }
    for (const child of children) {
      if (child === undefined || child === null || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  function el(tag, attrs, ...children) {
    return build(document.createElement(tag), attrs, children);
  }

  function svg(tag, attrs, ...children) {
    return build(document.createElementNS(SVG_NS, tag), attrs, children);
  }

  // A class name from data ("critical"): letters, digits and '-' only.
  function token(text) {
    return String(text || "").toLowerCase().replace(/[^a-z0-9-]/g, "");
  }

  function section(title, ...children) {
    return el("section", { class: "card" }, el("h2", {}, title), ...children);
  }

  function scrollingTable(table) {
    return el("div", { class: "table-scroll" }, table);
  }

  // ---------------------------------------------------------------------------------------------
  // Times: shown in the server's zone, with its offset, as the API gives them; never the
  // browser's zone.

  const RFC3339 =
    /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

  // "2026-11-25T11:07:02+09:00" → {ms, offset: 540}, or null.
  function parseTime(text) {
    if (typeof text !== "string") return null;
    const m = RFC3339.exec(text);
    if (!m) return null;
    let offset = 0;
    if (m[8] !== "Z" && m[8] !== "z") {
      offset = (Number(m[8].slice(1, 3)) * 60 + Number(m[8].slice(4, 6))) *
        (m[8][0] === "-" ? -1 : 1);
    }
    const fraction = m[7] ? Math.floor(Number("0" + m[7]) * 1000) : 0;
    const local = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]),
      Number(m[5]), Number(m[6]));
    return { ms: local + fraction - offset * MINUTE_MS, offset };
  }

  const pad = (n, width = 2) => String(n).padStart(width, "0");

  function offsetText(offset) {
    const sign = offset < 0 ? "-" : "+";
    const abs = Math.abs(offset);
    return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  }

  // Wall-clock fields of an instant at a UTC offset (minutes).
  function wall(ms, offset) {
    const d = new Date(ms + offset * MINUTE_MS);
    return {
      date: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
      hm: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`,
      hms: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
    };
  }

  // "2026-11-25 11:07:02 +09:00"
  function formatAt(ms, offset) {
    const w = wall(ms, offset);
    return `${w.date} ${w.hms} ${offsetText(offset)}`;
  }

  // An API time shown in the offset it carries.
  function formatApiTime(text) {
    const t = parseTime(text);
    return t ? formatAt(t.ms, t.offset) : "";
  }

  function formatDuration(seconds) {
    if (!(seconds >= 0)) return "";
    let s = Math.round(seconds);
    if (s < 60) return `${s}s`;
    const parts = [];
    const units = [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]];
    for (const [unit, size] of units) {
      if (s >= size) {
        parts.push(`${Math.floor(s / size)}${unit}`);
        s %= size;
      }
      if (parts.length === 2) break;  // "2d 3h", "1h 2m": precise enough to read
    }
    return parts.join(" ");
  }

  function formatCount(n) {
    return Number(n || 0).toLocaleString("en-US");
  }

  function formatRatio(ratio) {
    const percent = Number(ratio || 0) * 100;
    return `${percent < 10 && percent > 0 ? percent.toFixed(1) : Math.round(percent)}%`;
  }

  // A time cell or fact: the text, and the instant in data-epoch-ms for tests and scripts.
  // Its text is "2026-11-25 11:07:02 +09:00"; tables break it after the date.
  function timeElement(tag, field, text, emptyText) {
    const t = parseTime(text);
    const cell = el(tag, { dataset: { field, epochMs: t ? t.ms : undefined } });
    if (!t) {
      cell.textContent = emptyText || "";
      return cell;
    }
    const w = wall(t.ms, t.offset);
    cell.append(el("span", { class: "date" }, w.date), " ",
      el("span", { class: "clock" }, `${w.hms} ${offsetText(t.offset)}`));
    return cell;
  }

  // What the user typed in a since/until box, as the API takes it: a duration ("24h") or a
  // time with an offset as is; "2026-11-25 11:07" (no offset) is read in the server's zone.
  const LOCAL_TIME = /^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2})(:\d{2})?)?$/;
  const SHOWN_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) ([+-]\d{2}:\d{2})$/;

  function needsZone(text) {
    return LOCAL_TIME.test(text.trim());
  }

  function toApiTime(text, zone) {
    const value = text.trim();
    const shown = SHOWN_TIME.exec(value);
    if (shown) return `${shown[1]}T${shown[2]}${shown[3]}`;
    const local = LOCAL_TIME.exec(value);
    if (local && zone) {
      const time = local[2] ? `${local[2]}${local[3] || ":00"}` : "00:00:00";
      return `${local[1]}T${time}${offsetText(zone.offset_minutes)}`;
    }
    return value;
  }

  // ---------------------------------------------------------------------------------------------
  // Fetching.

  class ApiError extends Error {}

  async function getJson(url) {
    let response;
    try {
      response = await fetch(url, { headers: { Accept: "application/json" } });
    } catch (e) {
      throw new ApiError(`${url}: the status server did not answer (${e.message})`);
    }
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    if (!response.ok) {
      const why = body && typeof body.error === "string" ? body.error : response.statusText;
      throw new ApiError(`${url}: HTTP ${response.status}: ${why}`);
    }
    if (body === null || typeof body !== "object") {
      throw new ApiError(`${url}: the answer is not JSON`);
    }
    return body;
  }

  function apiUrl(path, params) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params || {})) {
      if (value !== undefined && value !== null && value !== "") query.set(name, value);
    }
    const text = query.toString();
    return text ? `${path}?${text}` : path;
  }

  const isoMinute = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

  // ---------------------------------------------------------------------------------------------
  // Page state.

  const main = () => document.getElementById("main");

  function setState(state) {
    document.body.dataset.state = state;
  }

  function fail(error) {
    const box = document.getElementById("error");
    box.textContent = error instanceof ApiError ? error.message : `the page failed: ${error}`;
    box.hidden = false;
    setState("error");
  }

  function showZone(zone) {
    if (!zone || typeof zone.offset_minutes !== "number") return;
    const label = document.getElementById("zone");
    const name = zone.iana && zone.iana !== zone.name ? `${zone.name}, ${zone.iana}` : zone.name;
    label.textContent = `times in ${name} (${offsetText(zone.offset_minutes)})`;
  }

  function replaceMain(...children) {
    main().replaceChildren(...children);
  }

  // ---------------------------------------------------------------------------------------------
  // Incident facts shared by the list and the incident page.

  function groupText(group) {
    if (!group || typeof group !== "object" || Array.isArray(group)) return "";
    return Object.entries(group)
      .filter(([key]) => key !== "source")
      .map(([key, value]) => `${key} ${value}`)
      .join(" · ");
  }

  // Counts by status of the peak window, from the alert as sent: "502×231 200×9".
  function statusCounts(incident) {
    const byStatus = incident.alert && incident.alert.event && incident.alert.event.peak &&
      incident.alert.event.peak.by_status;
    if (!byStatus || typeof byStatus !== "object") return "";
    return Object.entries(byStatus)
      .sort((a, b) => Number(b[1]) - Number(a[1]))
      .map(([status, count]) => `${status === "0" ? "other" : status}×${formatCount(count)}`)
      .join(" ");
  }

  function peakText(incident) {
    const peak = incident.peak || {};
    const main = `${formatRatio(peak.ratio)} — ${formatCount(peak.errors)} of ` +
      `${formatCount(peak.requests)}`;
    const counts = statusCounts(incident);
    return counts ? `${main} (${counts})` : main;
  }

  // One sink's fate: "delivered 2026-… (2 attempts)" or "failed: HTTP 403, invalid_token".
  function deliveryItem(d) {
    const outcome = token(d.last_outcome);
    const item = el("li", { class: `delivery outcome-${outcome}`,
      dataset: { sink: d.sink, outcome: d.last_outcome } });
    item.append(el("span", { class: "sink" }, d.sink), " ");
    const why = [];
    if (d.last_http_status) why.push(`HTTP ${d.last_http_status}`);
    if (d.last_slack_error) why.push(`Slack: ${d.last_slack_error}`);
    const attempts = `${d.attempts} attempt${d.attempts === 1 ? "" : "s"}`;
    if (d.delivered_at) {
      item.append(el("span", { class: "verdict ok" }, "delivered"), " ",
        el("span", { class: "when" }, formatApiTime(d.delivered_at)));
      if (d.last_outcome !== "delivered") {
        // Delivered once, and the latest notification (a later event) is not (yet).
        item.append(" · ", el("span", { class: "verdict bad" },
          `${d.last_event}: ${d.last_outcome}`));
        if (why.length) item.append(` (${why.join(", ")})`);
      }
    } else {
      item.append(el("span", { class: "verdict bad" }, d.last_outcome || "not sent"));
      if (why.length) item.append(`: ${why.join(", ")}`);
      if (d.last_detail && !why.length) item.append(`: ${d.last_detail}`);
    }
    item.append(` (${attempts})`);
    return item;
  }

  function deliveriesList(incident) {
    const deliveries = Array.isArray(incident.deliveries) ? incident.deliveries : [];
    if (!deliveries.length) return el("span", { class: "muted" }, "no sink");
    return el("ul", { class: "deliveries" }, ...deliveries.map(deliveryItem));
  }

  function severityBadge(severity) {
    return el("span", { class: `badge sev-${token(severity)}` }, severity || "");
  }

  function incidentLink(incident, text) {
    return el("a", { href: `/incidents/${encodeURIComponent(incident.id)}` }, text);
  }

  function sourceLink(name) {
    if (!name) return el("span", { class: "muted" }, "—");
    return el("a", { href: `/sources/${encodeURIComponent(name)}` }, name);
  }

  // ---------------------------------------------------------------------------------------------
  // The list: /?since=&until=&rule=&source=&open=1&offset=

  const FILTERS = ["since", "until", "rule", "source", "open", "offset"];

  function readFilters() {
    const params = new URLSearchParams(location.search);
    const filters = {};
    for (const name of FILTERS) {
      const value = params.get(name);
      if (value !== null && value !== "") filters[name] = value;
    }
    return filters;
  }

  function filterForm(filters, zone, rules, sources) {
    const form = el("form", { id: "filters", class: "filters", method: "get", action: "/" });
    const field = (name, label, attrs) =>
      el("label", { class: "field" }, el("span", {}, label),
        el("input", Object.assign({ name, value: filters[name] || "", autocomplete: "off" },
          attrs)));
    const zoneHint = zone ? ` (${offsetText(zone.offset_minutes)} if no offset)` : "";
    form.append(
      field("since", "since", { placeholder: "24h or 2026-11-25 11:00", title:
        `a duration back from now (30m, 24h, 7d) or a time${zoneHint}` }),
      field("until", "until", { placeholder: "now", title:
        `incidents that started at or before this time${zoneHint}` }),
      field("rule", "rule", { list: "rule-names", placeholder: "any" }),
      field("source", "source", { list: "source-names", placeholder: "any" }),
      el("label", { class: "field check" },
        el("input", { type: "checkbox", name: "open", value: "1",
          checked: filters.open === "1" || filters.open === "true" }),
        el("span", {}, "open only")),
      el("div", { class: "buttons" }, el("button", { type: "submit" }, "Apply"),
        el("a", { class: "button secondary", href: "/" }, "Clear")),
      el("datalist", { id: "rule-names" }, ...rules.map((r) => el("option", { value: r }))),
      el("datalist", { id: "source-names" }, ...sources.map((s) => el("option", { value: s }))),
    );
    // Times without an offset are given the server's before they go in the URL, so the view
    // bookmarked is the one shown, wherever the bookmark is opened.
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const params = new URLSearchParams();
      for (const input of form.querySelectorAll("input[name]")) {
        if (input.type === "checkbox") {
          if (input.checked) params.set(input.name, "1");
        } else if (input.value.trim() !== "") {
          const value = input.name === "since" || input.name === "until" ?
            toApiTime(input.value, zone) : input.value.trim();
          params.set(input.name, value);
        }
      }
      const query = params.toString();
      location.assign(query ? `/?${query}` : "/");
    });
    return form;
  }

  function incidentRow(incident) {
    const row = el("tr", { dataset: { incidentId: incident.id },
      class: incident.open ? "open" : "" });
    const rule = el("td", { dataset: { field: "rule" } }, incidentLink(incident, incident.rule));
    if (incident.test) rule.append(" ", el("span", { class: "badge test" }, "test"));
    const source = el("td", { dataset: { field: "source" } }, sourceLink(incident.source));
    const group = groupText(incident.group);
    if (group) source.append(el("div", { class: "group" }, group));
    const resolved = timeElement("td", "resolved_at", incident.resolved_at, "open");
    if (incident.open) resolved.classList.add("is-open");
    row.append(
      rule,
      source,
      el("td", { dataset: { field: "severity" } }, severityBadge(incident.severity)),
      timeElement("td", "started_at", incident.started_at),
      timeElement("td", "fired_at", incident.fired_at),
      resolved,
      el("td", { dataset: { field: "duration", seconds: incident.duration_seconds } },
        formatDuration(incident.duration_seconds)),
      el("td", { dataset: { field: "peak" } }, peakText(incident)),
      el("td", { dataset: { field: "deliveries" } }, deliveriesList(incident)),
    );
    // The whole row opens the incident; the links inside keep their own targets.
    row.addEventListener("click", (event) => {
      if (event.target.closest("a")) return;
      location.assign(`/incidents/${encodeURIComponent(incident.id)}`);
    });
    return row;
  }

  function incidentTable(alerts) {
    const head = el("thead", {}, el("tr", {},
      ...["rule", "source · group", "severity", "started", "fired", "resolved", "duration",
        "peak failure ratio", "delivery"].map((h) => el("th", { scope: "col" }, h))));
    return el("table", { id: "incidents", class: "incidents" }, head,
      el("tbody", {}, ...alerts.map(incidentRow)));
  }

  function pager(filters, nextOffset, shown) {
    const offset = Number(filters.offset || 0);
    const nav = el("nav", { class: "pager" });
    const link = (text, newOffset) => {
      const params = new URLSearchParams(location.search);
      if (newOffset > 0) params.set("offset", String(newOffset)); else params.delete("offset");
      const query = params.toString();
      return el("a", { class: "button secondary", href: query ? `/?${query}` : "/" }, text);
    };
    if (offset > 0) nav.append(link("← newer", Math.max(0, offset - PAGE_SIZE)));
    nav.append(el("span", { class: "muted" },
      shown ? `incidents ${offset + 1}–${offset + shown}` : "no incidents"));
    if (nextOffset !== null && nextOffset !== undefined) nav.append(link("older →", nextOffset));
    return nav;
  }

  async function listPage() {
    document.title = "gatewatch · incidents";
    const filters = readFilters();
    const sourcesPromise = getJson("/api/sources").catch(() => null);  // only for suggestions
    // A hand-written time without an offset is read in the server's zone, which the first
    // answer tells.
    let zone = null;
    if ((filters.since && needsZone(filters.since)) || (filters.until && needsZone(filters.until))) {
      zone = (await getJson(apiUrl("/api/alerts", { limit: 1 }))).zone;
    }
    const params = {
      since: filters.since && toApiTime(filters.since, zone),
      until: filters.until && toApiTime(filters.until, zone),
      rule: filters.rule,
      source: filters.source,
      open: filters.open,
      offset: filters.offset,
      limit: PAGE_SIZE,
    };
    const list = await getJson(apiUrl("/api/alerts", params));
    const sources = await sourcesPromise;
    zone = list.zone || zone;
    showZone(zone);
    const alerts = Array.isArray(list.alerts) ? list.alerts : [];
    const ruleNames = [...new Set(alerts.map((a) => a.rule))].sort();
    const sourceNames = sources && Array.isArray(sources.sources) ?
      sources.sources.map((s) => s.name) : [...new Set(alerts.map((a) => a.source))].sort();

    const body = [filterForm(filters, zone, ruleNames, sourceNames)];
    if (alerts.length) {
      body.push(scrollingTable(incidentTable(alerts)));
    } else {
      body.push(el("p", { class: "empty" }, Object.keys(filters).length ?
        "No incident matches these filters." : "No incidents recorded yet."));
      body.push(el("table", { id: "incidents", class: "incidents", hidden: true }));
    }
    body.push(pager(filters, list.next_offset, alerts.length));
    if (sources && Array.isArray(sources.sources) && sources.sources.length) {
      body.push(section("Sources", el("ul", { class: "source-list" },
        ...sources.sources.map((s) => el("li", {}, sourceLink(s.name), " ",
          el("span", { class: "muted" },
            `${formatCount(s.requests_24h)} requests, ${formatCount(s.failures_24h)} ` +
            "failures in 24 h"))))));
    }
    replaceMain(...body);
  }

  // ---------------------------------------------------------------------------------------------
  // The traffic chart: requests and failures per minute as SVG, spans of incidents behind.

  const CHART_HEIGHT = 240;
  const PAD = { left: 48, right: 10, top: 26, bottom: 40 };
  const TICK_STEPS_MIN = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080];

  function niceCeiling(value) {
    if (value <= 1) return 1;
    const power = 10 ** Math.floor(Math.log10(value));
    for (const step of [1, 2, 5, 10]) {
      if (value <= step * power) return step * power;
    }
    return 10 * power;
  }

  // spec: {minutes, from, to, offset, spans: [{start, end, cls, href, label}]}
  function drawChart(spec, width) {
    const w = Math.max(300, Math.floor(width));
    const h = CHART_HEIGHT;
    const plotW = w - PAD.left - PAD.right;
    const plotH = h - PAD.top - PAD.bottom;
    const span = Math.max(MINUTE_MS, spec.to - spec.from);
    const x = (ms) => PAD.left + ((ms - spec.from) / span) * plotW;
    const points = spec.minutes;
    const top = niceCeiling(Math.max(1, ...points.map((p) => p.requests)));
    const y = (v) => PAD.top + plotH - (v / top) * plotH;
    const barW = (MINUTE_MS / span) * plotW;

    const chart = svg("svg", {
      id: "traffic-chart", class: "chart", width: w, height: h, viewBox: `0 0 ${w} ${h}`,
      role: "img", "aria-label": spec.label,
    });
    chart.append(svg("title", {}, spec.label));

    // Incident spans behind everything; those with a page get a band above the plot that
    // links to it (the plot itself belongs to the minutes' tooltips).
    const clamp = (ms) => Math.min(spec.to, Math.max(spec.from, ms));
    for (const s of spec.spans) {
      if (s.end < spec.from || s.start > spec.to) continue;
      const x0 = x(clamp(s.start));
      const width = Math.max(2, x(clamp(s.end)) - x0).toFixed(1);
      chart.append(svg("rect", { class: s.cls, x: x0.toFixed(1), y: PAD.top, width,
        height: plotH, dataset: { incidentId: s.id, startEpochMs: s.start, endEpochMs: s.end } }));
      const band = svg("rect", { class: `${s.cls}-band`, x: x0.toFixed(1), y: PAD.top - 12,
        width, height: 10 }, svg("title", {}, s.label));
      chart.append(s.href ? svg("a", { href: s.href }, band) : band);
    }

    // Horizontal grid and the count axis.
    const grid = svg("g", { class: "grid" });
    for (const v of [0, top / 2, top]) {
      grid.append(
        svg("line", { x1: PAD.left, x2: w - PAD.right, y1: y(v), y2: y(v) }),
        svg("text", { x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end" }, formatCount(v)));
    }
    chart.append(grid);

    // Visible: one path per series. Wide bars stand apart; dense minutes (a day on a phone)
    // become one stepped area per run of consecutive minutes, which has no seams between bars.
    const base = PAD.top + plotH;
    const seriesPath = (value) => {
      const parts = [];
      if (barW >= 3) {
        for (const p of points) {
          const v = value(p);
          if (v <= 0) continue;
          parts.push(`M${x(p.ms).toFixed(1)} ${base}V${y(v).toFixed(1)}h${(barW - 1).toFixed(1)}` +
            `V${base}Z`);
        }
        return parts.join("");
      }
      let runEnd = null;
      for (const p of points) {
        const x0 = x(p.ms);
        if (runEnd === null || p.ms !== runEnd) {
          if (runEnd !== null) parts.push(`V${base}Z`);
          parts.push(`M${x0.toFixed(1)} ${base}`);
        }
        parts.push(`V${y(value(p)).toFixed(1)}H${x(p.ms + MINUTE_MS).toFixed(1)}`);
        runEnd = p.ms + MINUTE_MS;
      }
      if (runEnd !== null) parts.push(`V${base}Z`);
      return parts.join("");
    };
    chart.append(
      svg("path", { class: "requests", d: seriesPath((p) => p.requests) }),
      svg("path", { class: "failures", d: seriesPath((p) => p.failures) }));

    // One element per minute carrying its counts (for scripts and tests), with a full-height
    // transparent box whose tooltip says the figures.
    const minutes = svg("g", { class: "minutes" });
    for (const p of points) {
      minutes.append(svg("g", { dataset: { minute: p.t, epochMs: p.ms, requests: p.requests,
        failures: p.failures } },
      svg("title", {}, `${formatAt(p.ms, p.offset)}: ${formatCount(p.requests)} requests, ` +
        `${formatCount(p.failures)} failures`),
      svg("rect", { class: "hit", x: x(p.ms).toFixed(2), y: PAD.top,
        width: Math.max(1, (MINUTE_MS / span) * plotW).toFixed(2), height: plotH })));
    }
    chart.append(minutes);

    // Time axis in the server's zone, ticks on round local times.
    const axis = svg("g", { class: "axis" });
    axis.append(svg("line", { x1: PAD.left, x2: w - PAD.right, y1: PAD.top + plotH,
      y2: PAD.top + plotH }));
    const maxTicks = Math.max(2, Math.floor(plotW / 90));
    const stepMin = TICK_STEPS_MIN.find((s) => span / (s * MINUTE_MS) <= maxTicks) ||
      TICK_STEPS_MIN[TICK_STEPS_MIN.length - 1];
    const step = stepMin * MINUTE_MS;
    const shift = spec.offset * MINUTE_MS;
    // Labels in the offset the server had then (the minutes say it: a span across a DST change
    // has two), the zone's present one where no minute is near.
    const offsetAt = (t) => {
      let lo = 0;
      let hi = points.length - 1;
      if (hi < 0) return spec.offset;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (points[mid].ms <= t) lo = mid; else hi = mid - 1;
      }
      return points[lo].offset;
    };
    let lastDate = "";
    for (let t = Math.ceil((spec.from + shift) / step) * step - shift; t <= spec.to; t += step) {
      const tx = x(t);
      const when = wall(t, offsetAt(t));
      axis.append(svg("line", { x1: tx, x2: tx, y1: PAD.top + plotH, y2: PAD.top + plotH + 5 }));
      axis.append(svg("text", { x: tx, y: PAD.top + plotH + 18, "text-anchor": "middle" },
        when.hm));
      if (when.date !== lastDate) {
        axis.append(svg("text", { x: tx, y: PAD.top + plotH + 32, "text-anchor": "middle",
          class: "date" }, when.date.slice(5)));
        lastDate = when.date;
      }
    }
    chart.append(axis);
    return chart;
  }

  // Redraws the chart at its box's width, now and whenever the window is resized.
  function mountChart(holder, spec) {
    const render = () => {
      const old = holder.querySelector("svg");
      const chart = drawChart(spec, holder.clientWidth || 600);
      if (old) old.replaceWith(chart); else holder.append(chart);
    };
    render();
    let pending = 0;
    window.addEventListener("resize", () => {
      clearTimeout(pending);
      pending = setTimeout(render, 150);
    });
  }

  function chartLegend(extra) {
    return el("p", { class: "legend" },
      el("span", { class: "key requests" }), "requests per minute ",
      el("span", { class: "key failures" }), "failures (5xx) ",
      extra ? el("span", { class: `key ${extra.cls}` }) : null, extra ? extra.text : null,
      el("span", { class: "muted" }, " · no bar: the daemon was not watching that minute"));
  }

  // The minutes API's answer as chart points; the zone's offset for the axis.
  function chartPoints(answer) {
    const points = [];
    for (const m of Array.isArray(answer.minutes) ? answer.minutes : []) {
      const t = parseTime(m.t);
      if (!t) continue;
      points.push({ t: m.t, ms: t.ms, offset: t.offset, requests: Number(m.requests) || 0,
        failures: Number(m.failures) || 0 });
    }
    return points;
  }

  function zoneOffset(answer) {
    return answer.zone && typeof answer.zone.offset_minutes === "number" ?
      answer.zone.offset_minutes : 0;
  }

  // ---------------------------------------------------------------------------------------------
  // One incident: /incidents/ID

  function fact(label, node) {
    return [el("dt", {}, label), node];
  }

  function logLines(id, lines, emptyText) {
    if (!lines.length) return el("p", { class: "muted", id }, emptyText);
    // Each line exactly as the alert carried it (already redacted): text, never markup.
    return el("ol", { id, class: "log" },
      ...lines.map((line) => el("li", { class: "log-line" }, String(line))));
  }

  function attemptsTable(attempts) {
    const head = el("thead", {}, el("tr", {}, ...["at", "sink", "event", "attempt", "outcome",
      "HTTP", "Slack error", "latency", "detail"].map((h) => el("th", { scope: "col" }, h))));
    const rows = attempts.map((a) => el("tr", { class: `outcome-${token(a.outcome)}`,
      dataset: { sink: a.sink, outcome: a.outcome } },
    timeElement("td", "at", a.at),
    el("td", { dataset: { field: "sink" } }, a.sink),
    el("td", { dataset: { field: "event" } }, a.event),
    el("td", { dataset: { field: "attempt" } }, String(a.attempt)),
    el("td", { dataset: { field: "outcome" } }, a.outcome),
    el("td", { dataset: { field: "http_status" } }, a.http_status ? String(a.http_status) : "—"),
    el("td", { dataset: { field: "slack_error" } }, a.slack_error || ""),
    el("td", { dataset: { field: "latency_ms" } }, `${a.latency_ms} ms`),
    el("td", { dataset: { field: "detail" } }, a.detail || "")));
    return el("table", { id: "attempts", class: "attempts" }, head, el("tbody", {}, ...rows));
  }

  function namedCounts(list) {
    if (!Array.isArray(list) || !list.length) return null;
    return el("ul", { class: "counts" },
      ...list.map((c) => el("li", {}, el("code", {}, String(c.name)), ` ×${formatCount(c.count)}`)));
  }

  async function incidentPage(id) {
    document.title = "gatewatch · incident";
    const incident = await getJson(`/api/alerts/${encodeURIComponent(id)}`);
    showZone(incident.zone);
    document.title = `gatewatch · ${incident.rule} · ${incident.source}`;
    const alert = incident.alert && typeof incident.alert === "object" ? incident.alert : {};
    const event = alert.event && typeof alert.event === "object" ? alert.event : {};
    // The lines shown are those the firing alert carried (what on-call saw first); a database
    // from before they were kept has only the latest alert's.
    const firing = incident.firing_alert && typeof incident.firing_alert === "object" ?
      incident.firing_alert : null;
    const sent = firing || alert;
    const firingEvent = firing && firing.event && typeof firing.event === "object" ? firing.event :
      event;
    const firingDetail = firingEvent.detail;
    const context = sent.context && typeof sent.context === "object" ? sent.context : {};
    const access = Array.isArray(context.access) ? context.access : [];
    const errors = Array.isArray(context.error) ? context.error : [];

    const started = parseTime(incident.started_at);
    const resolved = parseTime(incident.resolved_at);
    const end = resolved ? resolved.ms :
      started ? started.ms + Number(incident.duration_seconds || 0) * 1000 : 0;

    const header = el("div", { class: "title" },
      el("a", { href: "/", class: "back" }, "← all incidents"),
      el("h1", {}, incident.rule, " ", severityBadge(incident.severity),
        incident.open ? el("span", { class: "badge open" }, "open") : null,
        incident.test ? el("span", { class: "badge test" }, "test") : null),
      incident.summary ? el("p", { class: "summary" }, incident.summary) : null);

    const source = el("dd", { dataset: { field: "source" } }, sourceLink(incident.source));
    const group = groupText(incident.group);
    if (group) source.append(el("div", { class: "group" }, group));
    const resolvedFact = timeElement("dd", "resolved_at", incident.resolved_at, "open");
    const facts = el("dl", { id: "facts", class: "facts" },
      ...fact("rule", el("dd", { dataset: { field: "rule" } }, incident.rule,
        el("span", { class: "muted" }, ` (${incident.rule_kind})`))),
      ...fact("source · group", source),
      ...fact("severity", el("dd", { dataset: { field: "severity" } },
        severityBadge(incident.severity))),
      ...fact("started (first failing request)", timeElement("dd", "started_at",
        incident.started_at)),
      ...fact("fired", timeElement("dd", "fired_at", incident.fired_at)),
      ...fact("resolved", resolvedFact),
      ...fact("duration", el("dd", { dataset: { field: "duration",
        seconds: incident.duration_seconds } }, formatDuration(incident.duration_seconds) +
        (incident.open ? " so far" : ""))),
      ...fact("peak failure ratio", el("dd", { dataset: { field: "peak" } }, peakText(incident))),
      ...fact("delivery", el("dd", { dataset: { field: "deliveries" } },
        deliveriesList(incident))),
      ...fact("host", el("dd", { dataset: { field: "hostname" } }, incident.hostname || "—")),
      // Why it fired: the firing alert's detail ("3 consecutive failed requests, ..."); a resolved
      // event's own detail describes the recovery ("0 consecutive failed requests").
      ...(firingDetail ? fact("why it fired", el("dd", { dataset: { field: "detail" } },
        String(firingDetail))) : []),
    );
    const paths = namedCounts(event.top_paths);
    const upstreams = namedCounts(event.upstreams);
    if (paths) facts.append(...fact("failing paths", el("dd", {}, paths)));
    if (upstreams) facts.append(...fact("upstreams", el("dd", {}, upstreams)));

    const holder = el("div", { class: "chart-holder" });
    const chartSection = section("Traffic around it", holder);
    const attempts = Array.isArray(incident.attempts) ? incident.attempts : [];
    replaceMain(
      header,
      section("Facts", facts),
      chartSection,
      section(`Access log lines sent with the ${firing ? "firing " : ""}alert (${access.length})`,
        logLines("context-lines", access, "No access lines were sent with this alert.")),
      section(`error.log lines (${errors.length})`,
        logLines("error-lines", errors, "No error.log lines were sent with this alert.")),
      section(`Delivery attempts (${attempts.length})`, attempts.length ?
        scrollingTable(attemptsTable(attempts)) : el("p", { class: "muted" }, "No attempts yet."),
      attempts.length ? null : el("table", { id: "attempts", hidden: true })),
    );

    if (!started || !incident.source) {
      holder.append(el("p", { class: "muted" }, "No traffic chart: the incident names no source."));
      return;
    }
    let from = Math.floor((started.ms - CHART_MARGIN_MS) / MINUTE_MS) * MINUTE_MS;
    let to = Math.ceil((end + CHART_MARGIN_MS) / MINUTE_MS) * MINUTE_MS;
    let cut = false;
    if (to - from > MAX_CHART_SPAN_MS) {
      to = from + MAX_CHART_SPAN_MS;  // the start is what the page is for
      cut = true;
    }
    const minutes = await getJson(apiUrl(
      `/api/sources/${encodeURIComponent(incident.source)}/minutes`,
      { from: isoMinute(from), to: isoMinute(to) }));
    const offset = started.offset;
    mountChart(holder, {
      minutes: chartPoints(minutes), from, to, offset: zoneOffset(minutes) || offset,
      label: `requests and failures per minute of ${incident.source}, ` +
        `${formatAt(from, offset)} to ${formatAt(to, offset)}`,
      spans: [{ id: incident.id, start: started.ms, end, cls: "incident-span",
        label: `this incident: ${formatAt(started.ms, offset)} → ` +
          (resolved ? formatAt(resolved.ms, offset) : "still open") }],
    });
    holder.append(chartLegend({ cls: "incident-span", text: "the incident " }));
    if (cut) holder.append(el("p", { class: "muted" }, "The chart shows its first 14 days."));
  }

  // ---------------------------------------------------------------------------------------------
  // One source: /sources/NAME — the last 24 h and its incidents on the same axis.

  async function sourcePage(name) {
    document.title = `gatewatch · ${name}`;
    const [minutes, list] = await Promise.all([
      getJson(`/api/sources/${encodeURIComponent(name)}/minutes`),
      getJson(apiUrl("/api/alerts", { source: name, since: "24h",
        limit: SOURCE_PAGE_INCIDENTS })),
    ]);
    showZone(minutes.zone || list.zone);
    const fromT = parseTime(minutes.from);
    const toT = parseTime(minutes.to);
    const to = toT ? toT.ms : Date.now();
    const from = fromT ? fromT.ms : to - DAY_MS;
    const offset = zoneOffset(minutes);
    const alerts = Array.isArray(list.alerts) ? list.alerts : [];
    const spans = [];
    for (const incident of alerts) {
      const s = parseTime(incident.started_at);
      if (!s) continue;
      const r = parseTime(incident.resolved_at);
      const end = r ? r.ms : s.ms + Number(incident.duration_seconds || 0) * 1000;
      spans.push({ id: incident.id, start: s.ms, end, cls: "incident-mark",
        href: `/incidents/${encodeURIComponent(incident.id)}`,
        label: `${incident.rule}: ${formatAt(s.ms, s.offset)} → ` +
          (r ? formatAt(r.ms, r.offset) : "still open") });
    }
    const points = chartPoints(minutes);
    const totalRequests = points.reduce((sum, p) => sum + p.requests, 0);
    const totalFailures = points.reduce((sum, p) => sum + p.failures, 0);

    const holder = el("div", { class: "chart-holder" });
    const incidents = alerts.length ?
      el("ul", { id: "source-incidents", class: "source-incidents" }, ...alerts.map((a) =>
        el("li", { dataset: { incidentId: a.id } }, incidentLink(a, a.rule), " ",
          severityBadge(a.severity), " ",
          el("span", { class: "when" }, formatApiTime(a.started_at)), " · ",
          a.open ? "open" : formatDuration(a.duration_seconds)))) :
      el("p", { class: "muted" }, "No incidents in the last 24 hours.");
    replaceMain(
      el("div", { class: "title" }, el("a", { href: "/", class: "back" }, "← all incidents"),
        el("h1", {}, name),
        el("p", { class: "summary" }, `${formatCount(totalRequests)} requests and ` +
          `${formatCount(totalFailures)} failures in the last 24 hours`)),
      section("Requests and failures per minute, last 24 hours", holder),
      section("Incidents", incidents),
    );
    mountChart(holder, { minutes: points, from, to, offset, spans,
      label: `requests and failures per minute of ${name}, ${formatAt(from, offset)} to ` +
        formatAt(to, offset) });
    holder.append(chartLegend({ cls: "incident-mark", text: "an incident " }));
  }

  // ---------------------------------------------------------------------------------------------
  // Routing by path; the server answers every one of these paths with this same page.

  function decodeSegment(segment) {
    try {
      return decodeURIComponent(segment);
    } catch (e) {
      return null;
    }
  }

  async function start() {
    setState("loading");
    const path = location.pathname;
    let page;
    if (path === "/") {
      page = listPage();
    } else if (/^\/incidents\/[^/]+$/.test(path)) {
      const id = decodeSegment(path.slice("/incidents/".length));
      page = id === null ? Promise.reject(new ApiError("bad incident id in the address")) :
        incidentPage(id);
    } else if (/^\/sources\/[^/]+$/.test(path)) {
      const name = decodeSegment(path.slice("/sources/".length));
      page = name === null ? Promise.reject(new ApiError("bad source name in the address")) :
        sourcePage(name);
    } else {
      page = Promise.reject(new ApiError(`no page at ${path}`));
    }
    try {
      await page;
      setState("ready");
    } catch (error) {
      fail(error);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
