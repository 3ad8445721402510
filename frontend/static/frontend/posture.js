/* Posture pages: small behaviours wired by data attributes (no inline scripts, CSP-friendly). */
(function () {
  "use strict";

  function updateSelected(root) {
    var form = (root || document).querySelector("#bulk");
    if (!form) return;
    var n = form.querySelectorAll("input[name=ids]:checked").length;
    var out = form.querySelector("[data-selected-count]");
    if (out) out.textContent = String(n);
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches("[data-select-all]")) {
      var form = el.closest("form");
      form.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = el.checked; });
      updateSelected();
    } else if (el.matches("input[name=ids]")) {
      updateSelected();
    } else if (el.matches("[data-autosubmit]")) {
      el.form.requestSubmit();
    } else if (el.matches("[data-provider-select]")) {
      document.querySelectorAll(".cred-set").forEach(function (set) {
        set.hidden = set.getAttribute("data-provider") !== el.value;
      });
    }
  });

  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-print]");
    if (el) { event.preventDefault(); window.print(); }
  });

  document.addEventListener("htmx:afterSwap", function () { updateSelected(); });
  // A failed htmx request (server error, network) says so instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var target = event.detail.target;
    var status = event.detail.xhr ? event.detail.xhr.status : "?";
    var note = document.createElement("div");
    note.className = "flash-item flash-error";
    note.setAttribute("role", "alert");
    note.textContent = status === 403 ? "Your role does not allow this." : "The server could not do that (HTTP " + status + "). Try again.";
    if (target && target.parentNode) target.parentNode.insertBefore(note, target);
  });
})();
