// When an action the person just asked for (?follow=1) succeeds, go on to its
// result (the "Continue" link). An action opened from the history stays put.
document.addEventListener("htmx:wsAfterMessage", function () {
  if (new URLSearchParams(window.location.search).get("follow") !== "1") { return; }
  var next = document.querySelector("[data-follow='true']");
  if (next) { window.location.assign(next.getAttribute("href")); }
});

// Scale buttons: change the number first, then ask for it; fast clicks ask for
// the latest number (the server keeps only the newest request).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-scale-step]");
  if (!button) { return; }
  var form = button.closest("form");
  var input = form.querySelector("input[name=replicas]");
  input.value = Math.max(0, (parseInt(input.value, 10) || 0) + parseInt(button.dataset.scaleStep, 10));
  htmx.trigger(form, "submit");
});

// Logs: keep following the end unless the reader scrolled up.
document.addEventListener("htmx:wsAfterMessage", function () {
  var log = document.getElementById("log-lines");
  if (!log) { return; }
  if (log.dataset.follow === "true") { log.scrollTop = log.scrollHeight; }
});
document.addEventListener("scroll", function (event) {
  var log = event.target;
  if (!log || log.id !== "log-lines") { return; }
  log.dataset.follow = (log.scrollTop + log.clientHeight >= log.scrollHeight - 8) ? "true" : "false";
}, true);

// Copy buttons: <button data-copy="text">; says "Copied" for a moment.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button || !navigator.clipboard) return;
  navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
    var label = button.textContent;
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = label; }, 1500);
  });
});
