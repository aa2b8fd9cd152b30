// Live updates: one websocket per page; events update the rows that show the changed object.
(function () {
  "use strict";
  const indicator = document.getElementById("live-status");
  let delay = 500;
  // The last event this page reflects: the page was rendered with everything up to it.
  let lastSeq = parseInt(document.body.dataset.liveSeq || "0", 10);
  const applied = new Set();

  function setState(state, text) {
    if (!indicator) return;
    indicator.dataset.state = state;
    indicator.textContent = text;
  }

  function setField(row, name, value) {
    const el = row.querySelector('[data-field="' + name + '"]');
    if (!el) return;
    if (el.tagName === "PROGRESS") el.value = value;
    else if (el.tagName === "A") {
      el.hidden = !value;
      if (value) el.href = value;
    } else el.textContent = value;
  }

  function cell(row, child) {
    const td = document.createElement("td");
    if (typeof child === "string") td.textContent = child;
    else if (child) td.appendChild(child);
    row.appendChild(td);
    return td;
  }

  function field(tag, name, className) {
    const element = document.createElement(tag);
    element.dataset.field = name;
    if (className) element.className = className;
    return element;
  }

  // A row like jobs/templatetags/operation_rows.py makes.
  function operationRow(op) {
    const row = document.createElement("tr");
    row.dataset.operationId = op.id;
    const link = document.createElement("a");
    link.href = op.detail_url;
    link.textContent = "#" + op.id;
    cell(row, link);
    cell(row, op.label);
    cell(row, op.target);
    cell(row, field("span", "status"));
    const progress = field("progress", "progress");
    progress.max = 100;
    cell(row, progress);
    const message = cell(row, field("span", "message"));
    message.appendChild(document.createTextNode(" "));
    message.appendChild(field("span", "error", "error"));
    cell(row, op.user);
    cell(row, op.created);
    return row;
  }

  // A table keeps the number of rows it was rendered for (data-live-operations="N"; 0 adds none).
  function addOperationRow(tbody, op) {
    const limit = parseInt(tbody.closest("[data-live-operations]").dataset.liveOperations || "10", 10);
    if (!limit || tbody.querySelector('[data-operation-id="' + op.id + '"]')) return;
    const empty = tbody.querySelector("tr.empty");
    if (empty) empty.remove();
    tbody.prepend(operationRow(op));
    const rows = tbody.querySelectorAll("tr[data-operation-id]");
    for (let i = limit; i < rows.length; i++) rows[i].remove();
  }

  // A table inside data-live-scope="host:3 status:failed ..." only takes operations matching every token.
  function inScope(element, op) {
    const holder = element.closest("[data-live-scope]");
    if (!holder) return true;
    const keys = [
      "status:" + op.status,
      "user:" + op.user_id,
      "host:" + op.host_id,
      op.target_type + ":" + op.target_id,
    ];
    return holder.dataset.liveScope.split(" ").every(function (token) {
      return !token || keys.indexOf(token) !== -1;
    });
  }

  const handlers = {
    operation: function (op) {
      document.querySelectorAll("[data-live-operations] tbody").forEach(function (tbody) {
        if (inScope(tbody, op)) addOperationRow(tbody, op);
      });
      document.querySelectorAll('[data-operation-id="' + op.id + '"]').forEach(function (row) {
        setField(row, "status", op.status_label);
        const status = row.querySelector('[data-field="status"]');
        if (status) status.className = "status status-" + op.status;
        setField(row, "progress", op.progress);
        const progress = row.querySelector('progress[data-field="progress"]');
        if (progress) progress.hidden = op.finished; // a finished operation's status says it all
        setField(row, "message", op.message);
        setField(row, "error", op.error);
        setField(row, "url", op.url);
        const link = row.querySelector('a[data-field="url"]');
        if (link && op.link_text) link.textContent = op.link_text;
        // Cancel (queued) and Abort (running, of a kind that can stop) show while they apply.
        row.querySelectorAll("[data-shown-if]").forEach(function (element) {
          element.hidden = !op[element.dataset.shownIf];
        });
      });
    },
    instance: function (instance) {
      if (instance.deleted) instanceDeleted(instance);
      document.querySelectorAll('[data-instance-id="' + instance.id + '"]').forEach(function (row) {
        setField(row, "state", instance.state_label);
        const state = row.querySelector('[data-field="state"]');
        if (state) state.className = "status status-" + instance.state;
      });
    },
    host: function (host) {
      document.querySelectorAll('[data-host-id="' + host.id + '"]').forEach(function (row) {
        setField(row, "status", host.status_label);
        const status = row.querySelector('[data-field="status"]');
        if (status) status.className = "status status-" + host.status;
        setField(row, "last_error", host.last_error);
      });
    },
  };

  // Regions marked data-live-refresh="KIND:ID" are fetched again when an event KIND about ID arrives.
  // Only the newest fetch for a key is applied: answers can arrive out of order, and an older one
  // (e.g. read while a guest was restoring, "paused") must not replace a newer one ("running").
  const newestFetch = {};
  let fetches = 0;

  // A region showing one host's things (data-live-host="3") skips changes on other hosts.
  function concerns(region, data) {
    const host = region.dataset.liveHost;
    return !host || data.host_id === undefined || String(data.host_id) === host;
  }

  function refreshRegions(kind, data) {
    const key = kind + ":" + data.id;
    const regions = Array.from(document.querySelectorAll('[data-live-refresh~="' + key + '"]')).filter(function (region) {
      return concerns(region, data);
    });
    if (!regions.length) return;
    const mine = ++fetches;
    newestFetch[key] = mine;
    fetch(location.href, { headers: { "X-Live-Refresh": "1" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html || newestFetch[key] !== mine) return;
        const fresh = new DOMParser().parseFromString(html, "text/html");
        regions.forEach(function (region) {
          const replacement = region.id && fresh.getElementById(region.id);
          if (!replacement || !region.isConnected) return;
          const node = document.importNode(replacement, true);
          region.replaceWith(node);
          if (window.htmx) window.htmx.process(node); // its buttons work in place, as the rendered ones did
        });
      });
  }

  // The page's instance was deleted: its regions say so and offer the way back; nothing there acts on it.
  function instanceDeleted(instance) {
    document.querySelectorAll('[data-live-refresh~="instance:' + instance.id + '"], [data-live-gone~="instance:' + instance.id + '"]').forEach(function (region) {
      const notice = document.createElement("div");
      notice.className = "flash flash-error";
      notice.setAttribute("role", "alert");
      notice.dataset.deleted = "instance:" + instance.id;
      notice.textContent = "Instance " + instance.name + " was deleted. ";
      const back = document.createElement("a");
      back.href = document.body.dataset.instancesUrl || "/instances/";
      back.textContent = "Back to the instances";
      notice.appendChild(back);
      region.replaceWith(notice);
    });
  }

  function apply(event) {
    const handler = handlers[event.kind];
    if (handler) handler(event.data);
    if (event.data && event.data.id !== undefined && !event.data.deleted) refreshRegions(event.kind, event.data);
    document.dispatchEvent(new CustomEvent("live:" + event.kind, { detail: event.data }));
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/live/");
    socket.onopen = function () {
      delay = 500;
      setState("live", "live");
      socket.send(JSON.stringify({ since: lastSeq }));
    };
    socket.onmessage = function (message) {
      const event = JSON.parse(message.data);
      if (event.kind === "stale") {
        location.reload();
        return;
      }
      if (event.seq) {
        if (applied.has(event.seq)) return;
        applied.add(event.seq);
        lastSeq = Math.max(lastSeq, event.seq);
      }
      if (event.kind === "batch") event.data.events.forEach(apply); // a monitor's changes of one host, together
      else apply(event);
    };
    socket.onclose = function () {
      setState("offline", "offline, reconnecting…");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }

  connect();
})();
