// The SPICE console: spice-html5 on one-time tickets through the console proxy. SPICE opens one
// websocket per channel (main, display, inputs, cursor...) to the same URL; each needs a ticket
// of its own (all fetched at once, with the one password they share), so connections to the
// proxy are given fresh ones as they are opened.
import { SpiceMainConn, handle_resize, resize_helper, sendCtrlAltDel } from "../vendor/spice-html5/src/main.js";
import { fetchTicket, onAction, setStatus, wireFullscreen } from "./console-common.js";

const CHANNEL_TICKETS = 6; // main + display + inputs + cursor + playback + one spare
const NativeWebSocket = window.WebSocket;
let spare = [];

function proxyBase(url) {
  return url.split("?")[0];
}

// A WebSocket to the proxy takes the next unused ticket instead of the (used) one in its URL.
window.WebSocket = function (url, protocols) {
  if (spare.length && proxyBase(url) === proxyBase(spare[0])) url = spare.shift();
  return new NativeWebSocket(url, protocols);
};
window.WebSocket.prototype = NativeWebSocket.prototype;
Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });

async function connect() {
  if (window.sc) {
    window.sc.stop();
    window.sc = null;
  }
  setStatus("connecting", "Connecting…");
  let ticket;
  try {
    ticket = await fetchTicket(CHANNEL_TICKETS);
  } catch (error) {
    setStatus("error", error.message);
    return;
  }
  spare = ticket.urls;
  try {
    window.sc = new SpiceMainConn({
      uri: spare.shift(),
      password: ticket.password,
      screen_id: "spice-screen",
      message_id: "spice-messages",
      onerror: () => setStatus("error", "The console was refused or lost. Reconnect to try again."),
      onsuccess: () => {
        setStatus("connected", "Connected");
        window.addEventListener("resize", handle_resize);
      },
      onagent: resize_helper,
    });
  } catch (error) {
    setStatus("error", "SPICE: " + error.message);
  }
}

onAction("reconnect", connect);
onAction("ctrl-alt-del", () => sendCtrlAltDel());
wireFullscreen();
connect();
