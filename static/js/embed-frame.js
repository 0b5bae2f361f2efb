// dEdZ embed: tell the host page how tall this frame's content is, whenever that changes.
// Four forms: dEdZ's own, Canvas's lti.frameResize, the iframe.resize of Embedly-style hosts, and
// WordPress's {message: "height", value, secret} for its sandboxed oEmbed iframes (WordPress
// puts the secret in the frame's URL as #?secret=…).
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  var secret = (/[#&?]secret=([A-Za-z0-9]+)/.exec(location.hash) || [])[1];
  function post() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    var parent = window.parent;
    parent.postMessage({ type: "dedz:resize", height: height, src: location.href }, "*");
    parent.postMessage(JSON.stringify({ subject: "lti.frameResize", height: height }), "*");
    parent.postMessage(JSON.stringify({ context: "iframe.resize", src: location.href, height: height }), "*");
    if (secret) parent.postMessage({ message: "height", value: height, secret: secret }, "*");
  }
  if ("ResizeObserver" in window) {
    new ResizeObserver(post).observe(document.documentElement);
  }
  window.addEventListener("load", post);
  document.addEventListener("htmx:afterSettle", post);

  function offer(link) {
    var fallback = document.createElement("span");
    fallback.id = "open-fallback";
    fallback.className = "open-fallback";
    var label = document.createElement("label");
    label.htmlFor = "open-url";
    label.textContent = "This course page blocks new windows; copy the link:";
    var field = document.createElement("input");
    field.type = "text";
    field.id = "open-url";
    field.readOnly = true;
    fallback.appendChild(label);
    fallback.appendChild(field);
    link.parentNode.appendChild(fallback);
    return fallback;
  }

  // "Open in dEdZ" in a frame sandboxed without allow-popups does nothing at all: open it
  // ourselves, and where the window is refused, offer the link as text to copy instead.
  document.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("#open-in-dedz") : null;
    if (!link || event.defaultPrevented) return;
    var fallback = document.getElementById("open-fallback");
    event.preventDefault();
    var opened = null;
    try {
      opened = window.open(link.href, "_blank");
    } catch (error) {
      opened = null;
    }
    if (opened) {
      try {
        opened.opener = null;
      } catch (error) {
        // A sandboxed popup is another origin: it cannot reach back anyway.
      }
      if (fallback) fallback.hidden = true;
      return;
    }
    if (!fallback) fallback = offer(link);
    var field = document.getElementById("open-url");
    field.value = link.href;
    fallback.hidden = false;
    field.focus();
    field.select();
  });
})();
