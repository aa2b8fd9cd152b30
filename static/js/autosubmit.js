// <select data-autosubmit> submits its form when changed (instead of inline onchange handlers,
// which the Content-Security-Policy forbids).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.submit();
  }
});
