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
})();
