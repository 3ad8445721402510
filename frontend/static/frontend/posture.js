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

  // Narrow screens: the menu link toggles the sidebar's menu in place (without JavaScript it opens by :target).
  var navToggle = document.querySelector("[data-nav-toggle]");
  function setNavOpen(open) {
    document.body.classList.toggle("nav-open", open);
    navToggle.setAttribute("aria-expanded", open ? "true" : "false");
    navToggle.textContent = open ? "Close menu" : "Menu";
  }
  if (navToggle) {
    navToggle.setAttribute("role", "button");
    document.documentElement.classList.add("js-nav");  // the CSS then follows .nav-open, not :target
  }

  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-print]");
    if (el) { event.preventDefault(); window.print(); return; }
    if (navToggle && event.target.closest("[data-nav-toggle]")) {
      event.preventDefault();
      setNavOpen(!document.body.classList.contains("nav-open"));
    } else if (navToggle && event.target.closest(".menu-close")) {
      event.preventDefault();
      setNavOpen(false);
      navToggle.focus();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === " " && event.target.matches && event.target.matches("[data-nav-toggle]")) {
      event.preventDefault();  // a role=button answers the space bar like a button
      event.target.click();
    } else if (event.key === "Escape" && navToggle && document.body.classList.contains("nav-open")) {
      setNavOpen(false);
      navToggle.focus();
    }
  });

  // A card whose table scrolls sideways but holds nothing focusable becomes focusable itself, so that the
  // keyboard can scroll it too; it is named after its heading.
  var FOCUSABLE = "a[href], button, input, select, textarea, [tabindex]";
  function keyboardScrollers() {
    document.querySelectorAll(".card, .report-doc > .table").forEach(function (card) {
      var scrolls = card.scrollWidth > card.clientWidth + 1;
      if (scrolls && !card.querySelector(FOCUSABLE) && !card.hasAttribute("tabindex")) {
        var heading = card.querySelector("h2, caption");
        card.setAttribute("tabindex", "0");
        card.setAttribute("role", "region");
        card.setAttribute("aria-label", heading ? heading.textContent.trim() : "Scrollable table");
        card.setAttribute("data-keyboard-scroller", "");
      } else if (!scrolls && card.hasAttribute("data-keyboard-scroller")) {
        ["tabindex", "role", "aria-label", "data-keyboard-scroller"].forEach(function (a) { card.removeAttribute(a); });
      }
    });
  }
  keyboardScrollers();
  window.addEventListener("resize", keyboardScrollers);

  document.addEventListener("htmx:afterSwap", function () { updateSelected(); keyboardScrollers(); });
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
