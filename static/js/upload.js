// Upload forms (data-upload-progress): sent with XMLHttpRequest so the page shows how much has gone.
// A redirect (saved) is followed; a form with errors replaces this one.
(function () {
  "use strict";
  function bind(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const status = form.querySelector("[data-upload-status]");
      const bar = status.querySelector("progress");
      const text = status.querySelector("span");
      const button = form.querySelector('button[type="submit"]');
      const request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.upload.onprogress = function (progress) {
        if (!progress.lengthComputable) return;
        bar.value = Math.floor((100 * progress.loaded) / progress.total);
        text.textContent = "Uploading: " + (progress.loaded / 1048576).toFixed(1) + " of " +
          (progress.total / 1048576).toFixed(1) + " MiB";
      };
      request.onload = function () {
        if (request.responseURL && request.responseURL.split("?")[0] !== form.action) {
          location.href = request.responseURL;
          return;
        }
        const fresh = new DOMParser().parseFromString(request.responseText, "text/html").getElementById("upload");
        if (!fresh) { text.textContent = "The upload failed (" + request.status + ")."; button.disabled = false; return; }
        const article = form.closest("article");
        article.replaceWith(fresh);
        bind(fresh.querySelector("form[data-upload-progress]"));
      };
      request.onerror = function () { text.textContent = "The upload failed: the connection broke."; button.disabled = false; };
      status.hidden = false;
      button.disabled = true;
      request.send(new FormData(form));
    });
  }
  document.querySelectorAll("form[data-upload-progress]").forEach(bind);
})();
