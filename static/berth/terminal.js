// The pod terminal: xterm.js on the page, the shell behind Berth's websocket
// (workloads.consumers.PodTerminalConsumer). Keystrokes and pastes go as {"in": text},
// the terminal's size as {"size": [columns, rows]} whenever it changes; the shell's
// output comes back as binary frames, and {"ended": why} when it is over.
(function () {
  "use strict";
  const box = document.getElementById("terminal");
  if (!box || !window.Terminal) return;
  const state = document.getElementById("terminal-state");
  const term = new window.Terminal({ cursorBlink: true, scrollback: 5000, fontSize: 14 });
  const fit = new window.FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(box);
  fit.fit();
  const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + window.location.host + box.dataset.socket);
  socket.binaryType = "arraybuffer";
  let ended = false;

  function say(text, status) {
    state.textContent = text;
    box.dataset.status = status;
  }
  function sendSize() {
    box.dataset.columns = term.cols;
    box.dataset.rows = term.rows;
    if (socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ size: [term.cols, term.rows] }));
    }
  }
  socket.addEventListener("open", function () {
    say("Connected.", "open");
    sendSize();
    term.focus();
  });
  socket.addEventListener("message", function (event) {
    if (typeof event.data === "string") {
      const message = JSON.parse(event.data);
      if (message.ended) {
        ended = true;
        say(message.ended, "ended");
      }
      return;
    }
    term.write(new Uint8Array(event.data));
  });
  socket.addEventListener("close", function (event) {
    if (!ended) say(event.reason || "The terminal closed: reload to open another.", "closed");
    term.options.disableStdin = true;
  });
  term.onData(function (data) {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ in: data }));
  });
  term.onResize(sendSize);
  window.addEventListener("resize", function () { fit.fit(); });
})();
