// The API reference page: Swagger UI over our OpenAPI schema (no inline script: the CSP forbids it).
window.addEventListener("DOMContentLoaded", function () {
  const root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: root.dataset.schemaUrl, dom_id: "#swagger-ui", deepLinking: true });
});
