// The YAML page's editor: Ace over the form's textarea (which still works without it).
(function () {
  var host = document.getElementById("yaml-editor");
  var textarea = document.getElementById("yaml-text");
  if (!host || !textarea || !window.ace) return;
  ace.config.set("basePath", host.dataset.base);  // where Ace finds its mode and themes
  host.hidden = false;
  textarea.hidden = true;
  var dark = document.documentElement.classList.contains("pf-v6-theme-dark");
  var editor = ace.edit(host, {
    mode: "ace/mode/yaml",
    theme: dark ? "ace/theme/tomorrow_night" : "ace/theme/textmate",
    value: textarea.value,
    readOnly: host.dataset.readonly === "true",
    useWorker: false,
    tabSize: 2,
    useSoftTabs: true,
    minLines: 20,
    maxLines: 60,
    fontSize: "0.875rem",
  });
  var errors = JSON.parse(host.dataset.errors || "[]");
  editor.session.setAnnotations(errors.map(function (e) { return { row: e.row, column: 0, text: e.text, type: "error" }; }));
  if (errors.length) editor.gotoLine(errors[0].row + 1, 0, true);
  window.berthYamlEditor = editor;
  textarea.form.addEventListener("submit", function () { textarea.value = editor.getValue(); });
})();
