// Behaviour every page shares, without inline scripts or handlers (the Content-Security-Policy refuses them):
// - <select data-autosubmit> submits its form when it changes (the language switcher);
// - <form data-confirm="question"> asks before it is submitted;
// - [data-progress="42"] gets its width in percent (a progress bar, also when htmx swaps it in);
// - <input data-select-on-focus> selects its text when focused (a link to copy).
(function () {
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("select[data-autosubmit]") && e.target.form) e.target.form.submit();
  });
  document.addEventListener("submit", function (e) {
    var question = e.target.getAttribute && e.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) e.preventDefault();
  });
  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("input[data-select-on-focus]")) e.target.select();
  });
  function setWidths(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var bars = Array.prototype.slice.call(scope.querySelectorAll("[data-progress]"));
    if (scope.matches && scope.matches("[data-progress]")) bars.push(scope);
    bars.forEach(function (bar) { bar.style.width = bar.getAttribute("data-progress") + "%"; });
  }
  setWidths(document);
  document.addEventListener("htmx:load", function (e) { setWidths(e.target); });
})();
