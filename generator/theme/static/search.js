// The search page: Pagefind's index (built with the site, in shards under /pagefind/) and our own filters.
// Without JavaScript the form stays hidden and the page links the archive's indexes instead.
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  if (!form) return;
  form.hidden = false;
  document.querySelector(".no-script").hidden = true;
  var words = form.querySelector("#search-words");
  var status = form.querySelector("#search-status");
  var list = form.querySelector("#search-results");
  var selects = form.querySelectorAll("select");
  var LIMIT = 20, SCAN = 300;
  // A result's kind as the archive names it (Article, Take, Thread): the kind menu already says so.
  var kindLabels = {};
  var kindMenu = form.querySelector("#search-kind");
  if (kindMenu) {
    for (var k = 0; k < kindMenu.options.length; k++) {
      if (kindMenu.options[k].value) kindLabels[kindMenu.options[k].value] = kindMenu.options[k].text;
    }
  }
  var pagefind = null, pending = 0, timer = null;

  function wanted(meta) {
    for (var i = 0; i < selects.length; i++) {
      var value = selects[i].value, name = selects[i].name;
      if (!value) continue;
      var have = (meta[name] || "").split("|");
      if (have.indexOf(value) < 0) return false;
    }
    return true;
  }

  function show(results, total) {
    list.textContent = "";
    results.forEach(function (data) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = data.url;
      link.textContent = data.meta.title || data.url;
      var heading = document.createElement("h2");
      heading.appendChild(link);
      item.appendChild(heading);
      var kind = kindLabels[data.meta.kind] || "";
      if (kind || data.meta.date) {
        var meta = document.createElement("p");
        meta.className = "meta";
        if (kind) {
          var label = document.createElement("span");
          label.className = "kind kind-" + data.meta.kind;
          label.textContent = kind;
          meta.appendChild(label);
        }
        if (kind && data.meta.date) meta.appendChild(document.createTextNode(" · "));
        if (data.meta.date) {
          var when = document.createElement("span");
          when.className = "date";
          when.textContent = data.meta.date;
          meta.appendChild(when);
        }
        item.appendChild(meta);
      }
      var excerpt = document.createElement("p");
      excerpt.className = "excerpt";
      // Pagefind's excerpt is the page's own text with <mark> around the words found; keep only the marks.
      excerpt.innerHTML = data.excerpt.replace(/<(?!\/?mark>)[^>]*>/g, "");
      item.appendChild(excerpt);
      list.appendChild(item);
    });
    status.textContent = total === 0 ? "Nothing found." :
      (total > results.length ? "Showing " + results.length + " of " + total + " entries found." :
       total + (total === 1 ? " entry found." : " entries found."));
  }

  async function run() {
    var query = words.value.trim();
    var ticket = ++pending;
    if (!query) { list.textContent = ""; status.textContent = ""; return; }
    status.textContent = "Searching…";
    if (!pagefind) {
      // The index comes in shards (one Pagefind index each); the first holds Pagefind's scripts.
      var shards = form.dataset.shards.split(" ");
      var loaded = await import(shards[0] + "pagefind.js");
      await loaded.options({ basePath: shards[0] });
      for (var i = 1; i < shards.length; i++) await loaded.mergeIndex(shards[i]);
      await loaded.init();
      pagefind = loaded;
    }
    var search = await pagefind.search(query);
    var found = [];
    var scanned = search.results.slice(0, SCAN);
    var data = await Promise.all(scanned.map(function (r) { return r.data(); }));
    if (ticket !== pending) return;  // a newer search has started
    data.forEach(function (d) { if (wanted(d.meta)) found.push(d); });
    show(found.slice(0, LIMIT), found.length);
  }

  function later() { clearTimeout(timer); timer = setTimeout(run, 250); }
  words.addEventListener("input", later);
  selects.forEach(function (s) { s.addEventListener("change", run); });
  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  var initial = new URLSearchParams(location.search).get("q");
  if (initial) { words.value = initial; run(); }
})();
