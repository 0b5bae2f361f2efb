// dEdZ host script: resize dEdZ iframes on this page to their content's height.
// Include it once: <script src="https://YOUR-DEDZ-HOST/static/embed.js" defer></script>
// It only trusts messages that come from one of this page's dEdZ iframes (checked by source)
// and from that iframe's origin ("null" too, for a sandboxed iframe without allow-same-origin).
(function () {
  "use strict";
  function frames() {
    return Array.prototype.filter.call(document.getElementsByTagName("iframe"), function (frame) {
      return /\/embed(\?|$)/.test(frame.src);
    });
  }
  function sandboxedOpaque(frame) {
    return frame.hasAttribute("sandbox") && !/\ballow-same-origin\b/.test(frame.getAttribute("sandbox"));
  }
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== "dedz:resize" || typeof data.height !== "number") return;
    frames().forEach(function (frame) {
      if (frame.contentWindow !== event.source) return;
      var origin = new URL(frame.src, location.href).origin;
      if (event.origin !== origin && !(event.origin === "null" && sandboxedOpaque(frame))) return;
      var height = Math.max(120, Math.min(Math.round(data.height), 20000));
      frame.style.height = height + "px";
      frame.setAttribute("height", String(height));
    });
  });
})();
