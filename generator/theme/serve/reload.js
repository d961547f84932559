{#- Rendered into the page by live.html: values from the server only through tojson. -#}
(function () {
  var state = {{ state|tojson }};
  var panel = null;
  function show(errors, summary) {
    if (!errors || !errors.length) { if (panel) { panel.remove(); panel = null; } return; }
    if (!panel) {
      panel = document.getElementById("chorus-panel").content.firstElementChild.cloneNode(true);
      panel.querySelector("[data-chorus-close]").onclick = function () { panel.style.display = "none"; };
      (document.body || document.documentElement).appendChild(panel);
    }
    panel.style.display = "";
    panel.querySelector("[data-chorus-summary]").textContent = summary;
    panel.querySelector("[data-chorus-errors]").textContent = errors.join("\n");
  }
  function ready(f) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", f); else f();
  }
  ready(function () { show(state.errors, state.summary); });
  if (!window.EventSource) return;
  var events = new EventSource({{ events|tojson }});
  events.addEventListener("hello", function (e) {
    var now = JSON.parse(e.data);
    if (now.instance !== state.instance || now.build !== state.build) { location.reload(); return; }
    ready(function () { show(now.errors, now.summary); });
  });
  events.addEventListener("reload", function () { events.close(); location.reload(); });
  events.addEventListener("errors", function (e) {
    var now = JSON.parse(e.data);
    ready(function () { show(now.errors, now.summary); });
  });
})();
