// dEdZ explorer: small progressive enhancements on top of htmx. The page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // A slider mirrors its number input, which carries the value (the slider has no name).
  // Its own input event is stopped, and the number input's is sent instead, so each drag step
  // makes exactly one request.
  document.addEventListener("input", function (event) {
    var slider = event.target;
    if (!(slider instanceof HTMLInputElement) || !slider.dataset.sync) {
      var number = slider instanceof HTMLInputElement ? slider : null;
      var partner = number && number.id ? document.querySelector('[data-sync="' + number.id + '"]') : null;
      if (partner && number.value !== "" && isFinite(Number(number.value))) {
        partner.value = number.value;
      }
      return;
    }
    event.stopPropagation();
    var target = document.getElementById(slider.dataset.sync);
    if (target) {
      target.value = slider.value;
      target.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }, true);

  // Mark fields whose inline message is not empty, so assistive technology hears "invalid".
  // One pass per swap: each described field looks up its own message by id.
  var pending = false;
  function markInvalid() {
    pending = false;
    document.querySelectorAll("#controls [aria-describedby]").forEach(function (field) {
      var message = document.getElementById(field.getAttribute("aria-describedby").split(" ")[0]);
      if (message && message.textContent.trim()) {
        field.setAttribute("aria-invalid", "true");
      } else {
        field.removeAttribute("aria-invalid");
      }
    });
  }
  function schedule() {
    if (!pending) {
      pending = true;
      requestAnimationFrame(markInvalid);
    }
  }
  // A response brings back only the messages that still hold: clear the old ones first.
  document.addEventListener("htmx:beforeSwap", function () {
    document.querySelectorAll("#controls .field-error").forEach(function (message) {
      message.textContent = "";
    });
  });
  document.addEventListener("htmx:afterSettle", schedule);
  document.addEventListener("htmx:oobAfterSwap", schedule);
  document.addEventListener("DOMContentLoaded", markInvalid);
})();

// Copy buttons of the share panel: copy the named field and say so to everyone.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById("copy-status");
    if (!field) return;
    function done(ok) {
      if (status) status.textContent = ok ? button.textContent.replace("Copy", "Copied") + "." : "Press Ctrl+C (⌘C) to copy the selected text.";
    }
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { done(true); }, function () { done(false); });
    } else {
      done(document.execCommand && document.execCommand("copy"));
    }
  });
})();
