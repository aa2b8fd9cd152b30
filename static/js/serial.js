// The serial console page: xterm.js (+ fit addon) over the websocket of console/consumers.py.
// Binary frames carry the bytes both ways; JSON text frames carry status, notices and resizes.
(function () {
  "use strict";
  const holder = document.getElementById("serial-terminal");
  const statusEl = document.getElementById("console-status");
  const noticeEl = document.getElementById("serial-notice");
  const takeoverButton = document.querySelector('[data-action="takeover"]');
  const encoder = new TextEncoder();
  // Close codes after which the page does not reconnect by itself (the server says why first).
  const FINAL = {
    4401: "Your session has ended: log in again.",
    4403: "You may not open the console of this instance.",
    4404: "This instance does not exist (any more).",
    4409: "This console was taken over by another session.",
    4423: "Another session holds this console.",
  };
  const MAX_DELAY = 15000;

  const term = new Terminal({ cursorBlink: true, scrollback: 5000, fontSize: 14 });
  const fit = new FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(holder);
  fit.fit();
  window.serialTerm = term; // for tests and the curious
  window.serialSocket = function () { return socket; };

  let socket = null;
  let delay = 500;
  let retryTimer = null;
  let refusal = "";

  function setStatus(state, text) {
    statusEl.dataset.state = state;
    statusEl.textContent = text;
  }

  function send(data) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(data);
  }

  function sendSize() {
    send(JSON.stringify({ type: "resize", rows: term.rows, cols: term.cols }));
  }

  term.onData(function (data) { send(encoder.encode(data)); });
  term.onBinary(function (data) { send(Uint8Array.from(data, function (c) { return c.charCodeAt(0) & 255; })); });
  term.onResize(sendSize);

  // Re-fit when the window (or the bar above the terminal) changes size, once per frame.
  let fitPending = false;
  new ResizeObserver(function () {
    if (fitPending) return;
    fitPending = true;
    requestAnimationFrame(function () { fitPending = false; fit.fit(); });
  }).observe(holder);

  function onMessage(event) {
    if (typeof event.data !== "string") {
      term.write(new Uint8Array(event.data));
      return;
    }
    const message = JSON.parse(event.data);
    if (message.type === "notice") {
      noticeEl.textContent = message.message;
    } else if (message.type === "status") {
      if (message.state === "closed") refusal = message.message;
      setStatus(message.state === "closed" ? "error" : message.state, message.message);
      if (message.state === "connected") term.focus();
    }
  }

  // takeover: an explicit open takes the console from whoever has it; automatic reconnects do not.
  function connect(takeover) {
    clearTimeout(retryTimer);
    takeoverButton.hidden = true;
    refusal = "";
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + holder.dataset.wsPath + (takeover ? "" : "?takeover=0"));
    ws.binaryType = "arraybuffer";
    socket = ws;
    setStatus("connecting", "Connecting…");
    ws.onopen = function () {
      delay = 500;
      sendSize();
    };
    ws.onmessage = onMessage;
    ws.onclose = function (event) {
      if (ws !== socket) return; // replaced by a newer connection
      socket = null;
      if (event.code in FINAL) {
        setStatus("error", refusal || FINAL[event.code]);
        takeoverButton.hidden = !(event.code === 4409 || event.code === 4423);
        return;
      }
      setStatus("error", "Connection lost — reconnecting in " + delay / 1000 + " s…");
      retryTimer = setTimeout(function () { connect(false); }, delay);
      delay = Math.min(delay * 2, MAX_DELAY);
    };
  }

  function reconnect() {
    const old = socket;
    socket = null;
    if (old) old.close();
    noticeEl.textContent = "";
    connect(true);
    term.focus();
  }

  takeoverButton.addEventListener("click", reconnect);
  document.querySelector('[data-action="reconnect"]').addEventListener("click", reconnect);
  document.querySelector('[data-action="stty"]').addEventListener("click", function () {
    sendSize();
    send(JSON.stringify({ type: "stty" }));
    term.focus();
  });
  connect(true);
})();
