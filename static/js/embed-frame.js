// dEdZ embed: tell the host page how tall this frame's content is, whenever that changes.
// Three forms: dEdZ's own, Canvas's lti.frameResize, and the iframe.resize of Embedly-style hosts.
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  function post() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    var parent = window.parent;
    parent.postMessage({ type: "dedz:resize", height: height, src: location.href }, "*");
    parent.postMessage(JSON.stringify({ subject: "lti.frameResize", height: height }), "*");
    parent.postMessage(JSON.stringify({ context: "iframe.resize", src: location.href, height: height }), "*");
  }
  if ("ResizeObserver" in window) {
    new ResizeObserver(post).observe(document.documentElement);
  }
  window.addEventListener("load", post);
  document.addEventListener("htmx:afterSettle", post);
})();
