// What the VNC and SPICE pages share: one-time tickets, the status line, the toolbar buttons.
const screen = document.getElementById("console-screen");
const statusLine = document.getElementById("console-status");

export function setStatus(state, text) {
  statusLine.dataset.state = state;
  statusLine.textContent = text;
}

// One-time proxy URLs for this console (valid for a minute, each usable once: `channels` of them)
// and the password the guest's console asks for: {url, urls, password}. Throws with the server's
// message (e.g. "not running") so the page can say it.
export async function fetchTicket(channels = 1) {
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const response = await fetch(screen.dataset.ticketUrl, {
    method: "POST",
    headers: { "X-CSRFToken": csrf },
    body: new URLSearchParams({ channels: String(channels) }),
    credentials: "same-origin",
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(body.error || "The console cannot be opened (HTTP " + response.status + ").");
  }
  return body;
}

export function onAction(name, handler) {
  document.querySelectorAll('[data-action="' + name + '"]').forEach((button) => {
    button.addEventListener("click", handler);
  });
}

export function wireFullscreen() {
  onAction("fullscreen", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else screen.requestFullscreen();
  });
}

export { screen };
