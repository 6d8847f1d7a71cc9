// htmx settings, kept here rather than in a meta tag so that htmx 2's safe defaults
// (self requests only, no inline scripts from swapped content) stay as they are.
(function () {
  if (!window.htmx) return;
  // A 400 page carries the messages beside the fields: swap it in like a success.
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "4..", swap: true, error: true },
    { code: "...", swap: false, error: true },
  ];
  // The page's Content-Security-Policy allows no inline style: htmx's indicator rules are in site.css instead.
  htmx.config.includeIndicatorStyles = false;
  // Nor may a swap copy a style attribute across (htmx would set it with setAttribute, an inline style).
  htmx.config.attributesToSettle = ["class", "width", "height"];
  // No copy of a page in the browser's storage: Back asks the server, which sends a signed-out person to sign in.
  htmx.config.historyCacheSize = 0;
  htmx.config.refreshOnHistoryMiss = true;
})();

// Behaviours of the pages, wired by data attributes (no inline handlers: the Content-Security-Policy forbids them).
(function () {
  // A log box follows new lines while its reader is at the bottom; scrolled up, it stays put and offers "Jump to latest".
  var nearBottom = function (box) { return box.scrollHeight - box.scrollTop - box.clientHeight < 24; };
  var follow = function (box) {
    if (box.dataset.followWired) return;
    box.dataset.followWired = "true";
    var jump = document.getElementById(box.dataset.jump || "");
    var following = true;
    var toBottom = function () { box.scrollTop = box.scrollHeight; following = true; if (jump) jump.hidden = true; };
    box.addEventListener("scroll", function () {
      following = nearBottom(box);
      if (jump && following) jump.hidden = true;
    });
    new MutationObserver(function () {
      if (following) toBottom();
      else if (jump) jump.hidden = false;
    }).observe(box, { childList: true, subtree: true });
    if (jump) jump.addEventListener("click", toBottom);
    // A finished task opens at its end: the last lines are where it says how it ended.
    toBottom();
  };
  var wire = function (root) {
    (root.querySelectorAll ? root : document).querySelectorAll("[data-follow]").forEach(follow);
    if (root.matches && root.matches("[data-follow]")) follow(root);
  };
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:load", function (e) { wire(e.target); });
})();

// Times: exact, in the reader's own time zone, on hover; "3 min ago" where a time is marked relative.
(function () {
  var ago = function (date) {
    var s = Math.round((Date.now() - date.getTime()) / 1000);
    if (s < 0) s = 0;
    if (s < 45) return "just now";
    if (s < 3600) return Math.round(s / 60) + " min ago";
    if (s < 86400) return Math.round(s / 3600) + " h ago";
    if (s < 86400 * 30) return Math.round(s / 86400) + " d ago";
    return date.toLocaleDateString();
  };
  var render = function (root) {
    (root.querySelectorAll ? root : document).querySelectorAll("time[datetime]").forEach(function (t) {
      var date = new Date(t.getAttribute("datetime"));
      if (isNaN(date.getTime())) return;
      t.title = date.toLocaleString(undefined, { dateStyle: "full", timeStyle: "long" });
      if (t.hasAttribute("data-relative")) t.textContent = ago(date);
    });
  };
  document.addEventListener("DOMContentLoaded", function () { render(document); });
  document.addEventListener("htmx:load", function (e) { render(e.target.parentNode || document); });
  setInterval(function () { render(document); }, 60000);
})();

// Copy buttons: data-copy holds the text (a task id, a branch, a commit).
(function () {
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("button[data-copy]");
    if (!button) return;
    var done = function () {
      var label = button.getAttribute("aria-label") || "Copy";
      button.classList.add("copied");
      button.setAttribute("aria-label", "Copied");
      setTimeout(function () { button.classList.remove("copied"); button.setAttribute("aria-label", label); }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(button.dataset.copy).then(done);
    else {
      var area = document.createElement("textarea");
      area.value = button.dataset.copy;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
      done();
    }
  });
})();

// The log: search within it, and the tool calls' switch.
(function () {
  var apply = function (box, query) {
    var q = (query || "").trim().toLowerCase();
    var shown = 0;
    box.querySelectorAll(".logline").forEach(function (line) {
      var match = !q || line.textContent.toLowerCase().indexOf(q) >= 0;
      line.classList.toggle("filtered-out", !match);
      if (match) shown++;
    });
    var count = document.getElementById("log-search-count");
    if (count) count.textContent = q ? shown + " matching line" + (shown === 1 ? "" : "s") : "";
  };
  document.addEventListener("input", function (e) {
    if (e.target.id !== "log-search") return;
    var box = document.getElementById("logs");
    if (box) apply(box, e.target.value);
  });
  document.addEventListener("htmx:load", function (e) {
    var search = document.getElementById("log-search");
    var line = e.target;
    if (search && search.value && line.classList && line.classList.contains("logline")) {
      line.classList.toggle("filtered-out", line.textContent.toLowerCase().indexOf(search.value.trim().toLowerCase()) < 0);
    }
  });
  // Selecting text in a folded tool call must not fold or open it (the <details> opens and folds by itself otherwise).
  document.addEventListener("click", function (e) {
    var summary = e.target.closest && e.target.closest(".logline.foldable > summary");
    if (summary && window.getSelection().toString()) e.preventDefault();
  });
  document.addEventListener("change", function (e) {
    if (e.target.id !== "log-tools") return;
    var box = document.getElementById("logs");
    if (box) box.classList.toggle("hide-tools", !e.target.checked);
  });
})();

// A slug suggested from the name as it is typed, until the person writes their own (the server makes the same one from the name when it is left empty).
(function () {
  var slugify = function (text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 50).replace(/-+$/, "");
  };
  document.addEventListener("input", function (e) {
    var slug = e.target.matches && e.target.matches("input[data-slug-from]") ? e.target : null;
    if (slug) { slug.dataset.edited = slug.value ? "true" : ""; return; }
    var target = e.target.id && document.querySelector("input[data-slug-from='" + e.target.id + "']");
    if (target && !target.dataset.edited) target.value = slugify(e.target.value);
  });
})();

// Inline handlers are refused by the Content-Security-Policy: a select marked data-submit-on-change submits its form here.
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target instanceof HTMLElement && target.hasAttribute("data-submit-on-change") && target.form) target.form.requestSubmit();
});
