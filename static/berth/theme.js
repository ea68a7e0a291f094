// Dark mode follows the system's setting (PatternFly's dark theme), before the page paints.
(function () {
  var query = window.matchMedia("(prefers-color-scheme: dark)");
  function apply() {
    document.documentElement.classList.toggle("pf-v6-theme-dark", query.matches);
    document.documentElement.classList.toggle("pf-v6-theme-light", !query.matches);
  }
  apply();
  query.addEventListener("change", apply);
})();
