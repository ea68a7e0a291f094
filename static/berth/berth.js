// When an action that leads somewhere succeeds, go there (the "Continue" link).
document.addEventListener("htmx:wsAfterMessage", function () {
  var next = document.querySelector("[data-follow='true']");
  if (next) { window.location.assign(next.getAttribute("href")); }
});
