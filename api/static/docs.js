// Starts Swagger UI on this service's own OpenAPI document (kept out of the page so that a
// content security policy without inline scripts can apply).
window.addEventListener("load", function () {
  var holder = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: holder.dataset.spec, dom_id: "#swagger-ui" });
});
