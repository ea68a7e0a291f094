// A live stored log (a build's, a command run's): resumes from the last line it has, so a reconnect neither
// loses nor repeats lines. Lines arrive as [seq, html]; the html was escaped and
// its ANSI colours turned into classes on the server (console/ansi.py), so
// nothing from the log can become markup here.
(function () {
  "use strict";
  var log = document.getElementById("build-log");
  if (!log) { return; }
  var resume = document.getElementById("log-resume");
  var earlier = document.getElementById("log-earlier");
  var connection = document.getElementById("log-connection");
  var state = { last: -1, first: null, following: true, finished: false, anchor: null, socket: null, retries: 0 };
  window.berthBuildLog = state;

  function readAnchor() {
    var match = /^#L(\d+)$/.exec(window.location.hash);
    if (!match) { return false; }
    state.anchor = parseInt(match[1], 10);
    state.following = false;
    return true;
  }
  readAnchor();
  // A line link clicked (or pasted) on this page: highlight that line instead.
  window.addEventListener("hashchange", function () {
    var old = log.querySelector(".berth-log-target");
    if (old) { old.classList.remove("berth-log-target"); }
    if (readAnchor()) { showAnchor(); }
  });

  function lineElement(seq, html) {
    var row = document.createElement("div");
    row.className = "berth-log-line";
    row.id = "L" + seq;
    var number = document.createElement("a");
    number.className = "berth-log-n";
    number.href = "#L" + seq;
    number.textContent = seq;
    var text = document.createElement("span");
    text.className = "berth-log-text";
    text.innerHTML = html;  // escaped by the server
    row.appendChild(number);
    row.appendChild(text);
    return row;
  }

  function append(lines) {
    var fragment = document.createDocumentFragment();
    lines.forEach(function (line) {
      if (line[0] <= state.last) { return; }  // never twice
      state.last = line[0];
      if (state.first === null) { state.first = line[0]; }
      fragment.appendChild(lineElement(line[0], line[1]));
    });
    log.appendChild(fragment);
    if (state.following) { log.scrollTop = log.scrollHeight; }
    showAnchor();
  }

  function prepend(lines) {
    var fragment = document.createDocumentFragment();
    lines.forEach(function (line) {
      if (state.first !== null && line[0] >= state.first) { return; }
      fragment.appendChild(lineElement(line[0], line[1]));
    });
    var before = log.scrollHeight;
    log.insertBefore(fragment, log.firstChild);
    log.scrollTop += log.scrollHeight - before;
    if (lines.length) { state.first = Math.min(state.first === null ? lines[0][0] : state.first, lines[0][0]); }
    earlier.hidden = !(state.first > 1);
  }

  function loadEarlier() {
    if (!state.first || state.first <= 1) { return Promise.resolve(); }
    return fetch(log.dataset.chunkUrl + "?before=" + state.first, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { prepend(data.lines || []); showAnchor(); });
  }

  function showAnchor() {
    if (state.anchor === null) { return; }
    if (state.first !== null && state.anchor < state.first && state.first > 1) { loadEarlier(); return; }
    var row = document.getElementById("L" + state.anchor);
    if (!row) { return; }
    row.classList.add("berth-log-target");
    row.scrollIntoView({ block: "center" });
    state.anchor = null;
    resume.hidden = false;
  }

  function status(s) {
    var holder = document.getElementById("build-status");
    holder.dataset.status = s.status;
    var label = holder.querySelector(".pf-v6-c-label");
    label.className = "pf-v6-c-label pf-m-compact " + (s.status_class || "");  // the server names the colour
    label.querySelector(".pf-v6-c-label__text").textContent = s.status;
    document.getElementById("build-message").textContent = s.message || "";
    if (s.commit) { document.getElementById("build-commit").textContent = s.commit; }
    if (s.digest) { document.getElementById("build-digest").textContent = s.digest; }
    var exitCode = document.getElementById("run-exit-code");
    if (exitCode && s.exit_code !== undefined && s.exit_code !== null) { exitCode.textContent = s.exit_code; }
    if (s.started) { document.getElementById("build-started").textContent = ", started " + s.started; }
    if (s.finished_at) { document.getElementById("build-finished").textContent = ", finished " + s.finished_at; }
    if (s.finished) {
      state.finished = true;
      var cancel = document.getElementById("cancel-form");
      if (cancel) { cancel.remove(); }
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + log.dataset.ws + "?after=" + state.last);
    state.socket = socket;
    socket.onopen = function () { state.retries = 0; connection.textContent = ""; };
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.start !== undefined) {
        state.first = data.start;
        state.last = data.start - 1;
        earlier.hidden = !(data.start > 1);
      }
      if (data.lines) { append(data.lines); }
      if (data.status) { status(data.status); }
    };
    socket.onclose = function (event) {
      if (state.finished) { connection.textContent = ""; return; }
      if (event.code >= 4000) {
        // Berth closed it on purpose (access lost, too many live pages): say why, retry not.
        connection.textContent = event.reason || "The log stopped following.";
        return;
      }
      state.retries += 1;
      connection.textContent = "Connection lost; reconnecting…";
      window.setTimeout(connect, Math.min(5000, 500 * state.retries));
    };
  }

  log.addEventListener("scroll", function () {
    var atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
    state.following = atBottom;
    resume.hidden = atBottom;
  });
  resume.addEventListener("click", function () {
    state.following = true;
    resume.hidden = true;
    log.scrollTop = log.scrollHeight;
  });
  earlier.addEventListener("click", loadEarlier);
  connect();
})();
