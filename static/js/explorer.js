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
      var value = number ? number.value.trim() : "";
      if (partner && value !== "" && isFinite(Number(value))) {
        partner.value = String(Number(value)); // " 4 ", "3." and "+2" are not range values
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

// Live or not: the page is "live" only once htmx has loaded. If the CDN is blocked, the local
// copy is tried (when the server has one); if that fails too, the Update button stays and a
// sentence says why.
(function () {
  "use strict";
  var root = document.documentElement;
  function say(text) {
    var status = document.getElementById("live-status");
    if (status) status.textContent = text;
  }
  function live() {
    root.classList.add("live");
  }
  function offline() {
    if (document.getElementById("controls")) {
      say("Live updates are off: the page's script (htmx) did not load. Use Update to redraw.");
    }
  }
  window.addEventListener("load", function () {
    if (window.htmx) return live();
    var fallback = root.getAttribute("data-htmx-fallback");
    if (!fallback) return offline();
    var script = document.createElement("script");
    script.src = fallback;
    script.integrity = root.getAttribute("data-htmx-sri") || "";
    // A CORS request: a frame sandboxed without allow-same-origin is another origin, and the
    // browser checks integrity only of what CORS lets it read.
    script.crossOrigin = "anonymous";
    script.onload = function () {
      if (!window.htmx) return offline();
      window.htmx.process(document.body);
      live();
    };
    script.onerror = offline;
    document.head.appendChild(script);
  });

  // A request that fails keeps the last good panels and says so next to them.
  function failed(event) {
    var xhr = event.detail && event.detail.xhr;
    var code = xhr && xhr.status ? " (" + xhr.status + ")" : "";
    say(event.type === "htmx:timeout"
      ? "The server took too long; the charts show the last state that worked."
      : event.type === "htmx:sendError"
        ? "No connection to the server; the charts show the last state that worked."
        : "The server could not answer" + code + "; the charts show the last state that worked.");
  }
  document.addEventListener("htmx:responseError", failed);
  document.addEventListener("htmx:sendError", failed);
  document.addEventListener("htmx:timeout", failed);
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful) say("");
  });
})();

// After a button redraws the whole explorer, keyboard focus returns to that button (or, if it
// is now disabled, to its neighbour) instead of falling to <body>. After an instrument's check
// (a prediction, the derivation's steps, a step size), focus goes to the first field the answer
// marks wrong, else back to the button.
(function () {
  "use strict";
  var wanted = null;
  document.addEventListener("htmx:beforeSwap", function () {
    var active = document.activeElement;
    var links = active && active.closest ? active.closest("#instrument-menu, .instrument-links") : null;
    if (links) {  // a link that redrew the explorer: the link in its place afterwards
      var panelOf = links.closest(".panel");
      wanted = { links: links.id ? "#" + links.id : (panelOf ? "#" + panelOf.id + " .instrument-links" : ""),
                 index: [].indexOf.call(links.querySelectorAll("a"), active) };
      return;
    }
    var form = active && active.closest ? active.closest("#controls, .predict-form, .derive-form") : null;
    var panel = form && form.id !== "controls" ? form.closest(".panel") : null;
    wanted = form
      ? { id: active.id, name: active.getAttribute("name"), value: active.getAttribute("value"),
          panel: panel ? panel.id : "" }
      : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!wanted) return;
    var active = document.activeElement;
    if (wanted.links !== undefined) {
      var box = wanted.links && document.querySelector(wanted.links);
      var all = box ? box.querySelectorAll("a") : [];
      var link = all[Math.min(wanted.index, all.length - 1)];
      if (link && (!active || active === document.body)) link.focus();
      wanted = null;
      return;
    }
    // htmx gives focus back to an element of the same id: the check button, kept only if the
    // answer marks no field wrong
    if (wanted.panel && (!active || active === document.body || (wanted.id && active.id === wanted.id))) {
      var panel = document.getElementById(wanted.panel);
      var back = panel && (panel.querySelector("[aria-invalid='true']") ||
        (wanted.id && document.getElementById(wanted.id)) || panel.querySelector("h2[tabindex]"));
      if (back && back !== active) back.focus();
      wanted = null;
      return;
    }
    if (wanted.panel || (active && active !== document.body)) { wanted = null; return; }
    var selector = wanted.id
      ? "#" + CSS.escape(wanted.id)
      : "#controls [name='" + wanted.name + "'][value='" + wanted.value + "']";
    var target = document.querySelector(selector);
    if (!target || target.disabled) {
      target = document.querySelector("#controls .class-count button:not([disabled]), #controls button:not([disabled]):not(.default-submit)");
    }
    if (target) target.focus();
    wanted = null;
  });
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

// Once an edit has settled (its answer is in and no newer edit is on its way), put the state's
// canonical URL in the address bar and point the share preview at it: once per edit, not once
// per step of a drag (history.replaceState costs milliseconds and makes chromium fetch the
// favicon again; a new preview src reloads an iframe).
(function () {
  "use strict";
  var edits = 0;
  document.addEventListener("input", function (event) {
    var field = event.target;
    // A slider's own event is counted through the number input it drives (see above).
    if (!(field instanceof HTMLElement) || field.dataset.sync || !field.closest("#controls")) return;
    edits += 1;
  }, true);
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail && event.detail.xhr) event.detail.xhr.dedzEdits = edits;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.dedzEdits !== undefined && xhr.dedzEdits !== edits) return;  // more coming
    var last = document.getElementById("last");
    if (!last) return;
    var url = last.getAttribute("data-url");
    if (url && url !== location.pathname + location.search) {
      history.replaceState(null, "", url);
      // the address bar no longer holds the parts of the URL this note was about
      var note = document.getElementById("url-errors");
      if (note) note.remove();
    }
    var preview = document.getElementById("share-preview");
    var src = last.getAttribute("data-preview");
    if (preview && src && preview.getAttribute("src") !== src) preview.setAttribute("src", src);
  });
})();

// The number fields are text fields (so what is typed reaches the server as typed); the arrow
// keys still step them, by 1 (0.1 with Shift), as a number field's would.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (!(field instanceof HTMLInputElement) || !field.classList.contains("num")) return;
    if (event.key !== "ArrowUp" && event.key !== "ArrowDown") return;
    // "−3" with a typographic minus steps like "-3" (the server reads both).
    var text = field.value.trim().replace(/^[\u2212\u2013\u2012\u2010]/, "-");
    var value = Number(text);
    if (text === "" || !isFinite(value)) return;
    event.preventDefault();
    var step = (event.shiftKey ? 0.1 : 1) * (event.key === "ArrowUp" ? 1 : -1);
    field.value = String(Math.round((value + step) * 1e10) / 1e10);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();

// A redraw keeps open what the student opened: the Values tables while a logit is dragged, the
// share preview while the choices change, the advanced settings after a button.
(function () {
  "use strict";
  var open = null;
  function key(details) {
    var owner = details.parentElement ? details.parentElement.closest("[id]") : null;
    return (owner ? owner.id : "") + ":" + details.className;
  }
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    open = target ? { id: target.id, keys: {} } : null;
    if (!open) return;
    target.querySelectorAll("details[open]").forEach(function (details) {
      open.keys[key(details)] = true;
    });
  });
  document.addEventListener("htmx:afterSwap", function () {
    // The height field's hint follows the panels chosen: what the figure then needs.
    var output = document.getElementById("share-output");
    var height = document.getElementById("share-height");
    if (output && height && output.dataset.fitting) height.placeholder = output.dataset.fitting;
    var target = open && open.id ? document.getElementById(open.id) : null;
    if (!target) return;
    target.querySelectorAll("details").forEach(function (details) {
      if (open.keys[key(details)]) details.open = true;
    });
    open = null;
  });
})();

// Gradient descent's "Play": a step every 400 ms until it is pressed again, the descent ends (no
// "1 step" link), or the reader prefers reduced motion (then each press takes one step).
(function () {
  "use strict";
  var playing = false;
  var timer = null;
  var stepping = false; // a step Play asked for is on its way
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  function button() { return document.getElementById("descent-play"); }
  function show() {
    var b = button();
    if (!b) return;
    b.setAttribute("aria-pressed", playing ? "true" : "false");
    b.textContent = playing ? "Pause" : "Play";
  }
  function step() {
    timer = null;
    var link = document.getElementById("descent-step");
    if (!playing || !link) { playing = false; show(); return; }
    stepping = true;
    link.click();
  }
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLElement) || target.id !== "descent-play") return;
    if (reduced) { playing = false; var link = document.getElementById("descent-step"); if (link) link.click(); return; }
    playing = !playing;
    show();
    if (playing && !timer) timer = window.setTimeout(step, 400);
  });
  // Paused while a step was on its way: that step is not shown (the figure advanced once more
  // after Pause), so the page stays the state whose URL it has.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (stepping && !playing) event.detail.shouldSwap = false;
  });
  document.addEventListener("htmx:afterRequest", function () { stepping = false; });
  document.addEventListener("htmx:afterSettle", function () {
    show();
    if (playing && !timer) timer = window.setTimeout(step, 400);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && playing) { playing = false; show(); }
  });
})();
