/* Wuyou console: small glue around htmx (no framework). Messages come translated from <body data-msg-*>. */
(function () {
  "use strict";
  function flash(text, kind) {
    var box = document.getElementById("flash");
    if (!box) { return; }
    var div = document.createElement("div");
    div.className = "flash flash-" + (kind || "error");
    div.setAttribute("role", "alert");
    div.textContent = text;
    box.appendChild(div);
    window.setTimeout(function () { div.remove(); }, 8000);
  }
  document.body.addEventListener("htmx:responseError", function (evt) {
    var status = evt.detail.xhr ? evt.detail.xhr.status : 0;
    var data = document.body.dataset;
    flash(status === 404 ? data.msgNotFound : data.msgError + " (HTTP " + status + ")");
  });
  document.body.addEventListener("htmx:sendError", function () {
    flash(document.body.dataset.msgOffline);
  });
  // Server-rendered flash messages fade after a while so the dense screens stay readable.
  window.setTimeout(function () {
    document.querySelectorAll("#flash .flash-success").forEach(function (el) { el.remove(); });
  }, 10000);
})();
