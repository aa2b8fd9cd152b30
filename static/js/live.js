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

  function operationRow(op) {
    const row = document.createElement("tr");
    row.dataset.operationId = op.id;
    const cells = ["#" + op.id, op.label, op.target, null, null, null, "", "just now"];
    cells.forEach(function (text) {
      const td = document.createElement("td");
      if (text !== null) td.textContent = text;
      row.appendChild(td);
    });
    const status = document.createElement("span");
    status.dataset.field = "status";
    row.children[3].appendChild(status);
    const progress = document.createElement("progress");
    progress.max = 100;
    progress.dataset.field = "progress";
    row.children[4].appendChild(progress);
    ["message", "error"].forEach(function (name) {
      const span = document.createElement("span");
      span.dataset.field = name;
      if (name === "error") span.className = "error";
      row.children[5].appendChild(span);
      row.children[5].appendChild(document.createTextNode(" "));
    });
    return row;
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
        if (!inScope(tbody, op)) return;
        if (!tbody.querySelector('[data-operation-id="' + op.id + '"]')) {
          const empty = tbody.querySelector("tr.empty");
          if (empty) empty.remove();
          tbody.prepend(operationRow(op));
        }
      });
      document.querySelectorAll('[data-operation-id="' + op.id + '"]').forEach(function (row) {
        setField(row, "status", op.status_label);
        const status = row.querySelector('[data-field="status"]');
        if (status) status.className = "status status-" + op.status;
        setField(row, "progress", op.progress);
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
  function refreshRegions(kind, data) {
    const key = kind + ":" + data.id;
    const regions = document.querySelectorAll('[data-live-refresh~="' + key + '"]');
    if (!regions.length) return;
    fetch(location.href, { headers: { "X-Live-Refresh": "1" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        const fresh = new DOMParser().parseFromString(html, "text/html");
        regions.forEach(function (region) {
          const replacement = region.id && fresh.getElementById(region.id);
          if (replacement) region.replaceWith(document.importNode(replacement, true));
        });
      });
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
      const handler = handlers[event.kind];
      if (handler) handler(event.data);
      if (event.data && event.data.id !== undefined) refreshRegions(event.kind, event.data);
      document.dispatchEvent(new CustomEvent("live:" + event.kind, { detail: event.data }));
    };
    socket.onclose = function () {
      setState("offline", "offline, reconnecting…");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }

  connect();
})();
