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
  htmx.config.historyCacheSize = 10;
  // The page's Content-Security-Policy allows no inline style: htmx's indicator rules are in site.css instead.
  htmx.config.includeIndicatorStyles = false;
  // Nor may a swap copy a style attribute across (htmx would set it with setAttribute, an inline style).
  htmx.config.attributesToSettle = ["class", "width", "height"];
})();

// Inline handlers are refused by the Content-Security-Policy: a select marked data-submit-on-change submits its form here.
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target instanceof HTMLElement && target.hasAttribute("data-submit-on-change") && target.form) target.form.requestSubmit();
});
