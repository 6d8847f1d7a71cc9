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
  // No copy of a page in the browser's storage: Back asks the server, which sends a signed-out person to sign in.
  htmx.config.historyCacheSize = 0;
  htmx.config.refreshOnHistoryMiss = true;
})();

// Behaviours of the pages, wired by data attributes (no inline handlers: the Content-Security-Policy forbids them).
(function () {
  // A select that submits its form when it changes (the log's level filter).
  document.addEventListener("change", function (e) {
    var select = e.target.closest && e.target.closest("select[data-autosubmit]");
    if (select && select.form) select.form.requestSubmit();
  });

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
