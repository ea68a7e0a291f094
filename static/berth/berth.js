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

// Forms that ask first: <form data-confirm="question"> (no inline handlers: the CSP allows none).
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { event.preventDefault(); event.stopImmediatePropagation(); }
}, true);

// A live page's websocket closed by Berth on purpose (access lost, too many live pages, a
// log followed long enough) says why above what stopped updating; htmx does not retry it.
document.addEventListener("htmx:wsClose", function (event) {
  var close = event.detail.event;
  if (!close || close.code < 4000) { return; }
  var where = event.detail.elt;
  if (where.querySelector(":scope > .berth-socket-closed")) { return; }
  var alert = document.createElement("div");
  alert.className = "pf-v6-c-alert pf-m-warning pf-m-inline berth-socket-closed";
  alert.setAttribute("data-testid", "socket-closed");
  var title = document.createElement("p");
  title.className = "pf-v6-c-alert__title";
  title.textContent = close.reason || "This page stopped updating: reload it.";
  alert.appendChild(title);
  where.insertBefore(alert, where.firstChild);
});

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

// Keyboard shortcuts: "/" searches, "g" then a letter goes to a section (the sidebar's
// data-shortcut links), "?" shows them all. Keys typed into a field are the field's.
(function () {
  var pending = null;

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]");
  }

  function help() {
    var dialog = document.getElementById("berth-shortcuts");
    if (dialog) {
      dialog.remove();
      return;
    }
    dialog = document.createElement("div");
    dialog.id = "berth-shortcuts";
    dialog.className = "berth-shortcuts";
    dialog.setAttribute("role", "dialog");
    dialog.setAttribute("aria-label", "Keyboard shortcuts");
    dialog.setAttribute("data-testid", "shortcuts-help");
    var rows = [["/", "Search or filter this page"], ["?", "Show or hide this help"]];
    document.querySelectorAll("a[data-shortcut]").forEach(function (link) {
      rows.push([link.getAttribute("data-shortcut"), link.textContent.trim()]);
    });
    var list = document.createElement("dl");
    rows.forEach(function (row) {
      var key = document.createElement("dt");
      key.appendChild(document.createElement("kbd")).textContent = row[0];
      var what = document.createElement("dd");
      what.textContent = row[1];
      list.appendChild(key);
      list.appendChild(what);
    });
    var title = document.createElement("h2");
    title.textContent = "Keyboard shortcuts";
    dialog.appendChild(title);
    dialog.appendChild(list);
    document.body.appendChild(dialog);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (pending) {
      var link = document.querySelector('a[data-shortcut="g ' + event.key + '"]');
      pending = null;
      if (link) {
        event.preventDefault();
        window.location.href = link.href;
      }
      return;
    }
    if (event.key === "/") {
      var search = document.querySelector("input[type=search]");
      if (search) {
        event.preventDefault();
        search.focus();
      }
    } else if (event.key === "?") {
      help();
    } else if (event.key === "Escape") {
      var open = document.getElementById("berth-shortcuts");
      if (open) open.remove();
    } else if (event.key === "g") {
      pending = setTimeout(function () { pending = null; }, 1500);
    }
  });
})();
