// The home page's dashboard stays current: when a host has new samples, a host or an operation
// changes, the dashboard is fetched again (at most every 5 s) and replaced in place.
(function () {
  "use strict";
  const EVERY = 5000;
  let last = 0;
  let timer = null;

  function refresh() {
    timer = null;
    last = Date.now();
    fetch(location.href, { headers: { "X-Live-Refresh": "1" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        const current = document.getElementById("dashboard");
        const fresh = html && new DOMParser().parseFromString(html, "text/html").getElementById("dashboard");
        if (current && fresh) current.replaceWith(document.importNode(fresh, true));
      });
  }

  function soon() {
    if (timer) return;
    timer = setTimeout(refresh, Math.max(0, last + EVERY - Date.now()));
  }

  ["live:stats", "live:host", "live:operation"].forEach(function (kind) {
    document.addEventListener(kind, soon);
  });
})();
