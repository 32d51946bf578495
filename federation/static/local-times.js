// Posts older than a week show a date, which the server can only write in UTC: rewrite those
// dates (and every post time's tooltip) as the viewer's own clock and calendar show them.
(function () {
  "use strict";
  function localise() {
    var thisYear = new Date().getFullYear();
    document.querySelectorAll("time[data-local]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) {
        return;
      }
      el.title = when.toLocaleString();
      if (el.hasAttribute("data-date")) {
        var shown = { month: "short", day: "numeric" };
        if (when.getFullYear() !== thisYear) {
          shown.year = "numeric";
        }
        el.textContent = when.toLocaleDateString(undefined, shown);
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", localise);
  } else {
    localise();
  }
})();
