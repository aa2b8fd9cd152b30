// The VNC console: noVNC's RFB client on a one-time ticket through the console proxy.
import RFB from "../vendor/novnc/core/rfb.js";
import KeyTable from "../vendor/novnc/core/input/keysym.js";
import { fetchTicket, onAction, screen, setStatus, wireFullscreen } from "./console-common.js";

let rfb = null;

const COMBOS = {
  "ctrl-alt-f1": [[KeyTable.XK_Control_L, "ControlLeft"], [KeyTable.XK_Alt_L, "AltLeft"], [KeyTable.XK_F1, "F1"]],
  "ctrl-alt-f2": [[KeyTable.XK_Control_L, "ControlLeft"], [KeyTable.XK_Alt_L, "AltLeft"], [KeyTable.XK_F2, "F2"]],
  "ctrl-alt-backspace": [[KeyTable.XK_Control_L, "ControlLeft"], [KeyTable.XK_Alt_L, "AltLeft"],
    [KeyTable.XK_BackSpace, "Backspace"]],
  "alt-tab": [[KeyTable.XK_Alt_L, "AltLeft"], [KeyTable.XK_Tab, "Tab"]],
  "alt-f4": [[KeyTable.XK_Alt_L, "AltLeft"], [KeyTable.XK_F4, "F4"]],
  "print": [[KeyTable.XK_Print, "PrintScreen"]],
};

function sendCombo(keys) {
  keys.forEach(([keysym, code]) => rfb.sendKey(keysym, code, true));
  keys.slice().reverse().forEach(([keysym, code]) => rfb.sendKey(keysym, code, false));
}

// Typing pasted text: one key press per character (Latin-1 keysyms equal the code point;
// newlines become Return). Works without any agent in the guest.
function typeText(text) {
  for (const char of text) {
    if (char === "\n") rfb.sendKey(KeyTable.XK_Return, "Enter");
    else if (char.codePointAt(0) < 0x100) rfb.sendKey(char.codePointAt(0));
    else rfb.sendKey(0x01000000 + char.codePointAt(0));
  }
}

async function connect() {
  if (rfb) {
    rfb.disconnect();
    rfb = null;
  }
  setStatus("connecting", "Connecting…");
  let ticket;
  try {
    ticket = await fetchTicket();
  } catch (error) {
    setStatus("error", error.message);
    return;
  }
  const client = new RFB(screen, ticket.url, { credentials: { password: ticket.password } });
  client.scaleViewport = true; // fit to the window
  client.focusOnClick = true;
  client.addEventListener("connect", () => {
    setStatus("connected", "Connected to " + screen.dataset.instance);
    client.focus();
  });
  client.addEventListener("disconnect", (event) => {
    if (rfb !== client) return;
    setStatus("error", event.detail.clean
      ? "Disconnected. Reconnect when the guest runs again."
      : "The console was refused or lost (the ticket may have expired, or the guest stopped). Reconnect to try again.");
  });
  client.addEventListener("securityfailure", (event) => {
    setStatus("error", "The guest refused the connection: " + (event.detail.reason || "security failure"));
  });
  rfb = client;
  window.consoleRfb = client; // for tests and the curious
}

onAction("reconnect", connect);
onAction("ctrl-alt-del", () => rfb && rfb.sendCtrlAltDel());
onAction("paste", () => {
  const box = document.getElementById("console-paste-text");
  if (rfb && box.value) {
    typeText(box.value);
    rfb.focus();
  }
});
const keys = document.getElementById("console-keys");
keys.addEventListener("change", () => {
  if (rfb && COMBOS[keys.value]) sendCombo(COMBOS[keys.value]);
  keys.value = "";
});
wireFullscreen();
connect();
