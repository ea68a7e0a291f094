#!/usr/bin/env bash
# Refresh static/vendor from the versions pinned in vendor/package-lock.json.
# Only needed when a version changes; the console serves the copied files.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest="$here/../static/vendor"
cd "$here"
npm ci --no-audit --no-fund
rm -rf "$dest" && mkdir -p "$dest/patternfly/assets" "$dest/htmx" "$dest/ace" "$dest/xterm"
pf=node_modules/@patternfly/patternfly
cp "$pf/patternfly.min.css" "$pf/patternfly-addons.css" "$dest/patternfly/"
cp -r "$pf/assets/fonts" "$pf/assets/fontawesome" "$pf/assets/pficon" "$dest/patternfly/assets/"
cp node_modules/htmx.org/dist/htmx.min.js "$dest/htmx/"
cp node_modules/htmx-ext-ws/dist/ws.min.js "$dest/htmx/ext-ws.min.js"
# Ace, the YAML editor: the editor, YAML's mode, a light and a dark theme, search.
ace=node_modules/ace-builds/src-min-noconflict
cp "$ace/ace.js" "$ace/mode-yaml.js" "$ace/theme-textmate.js" "$ace/theme-tomorrow_night.js" "$ace/ext-searchbox.js" "$dest/ace/"
cp node_modules/ace-builds/LICENSE "$dest/ace/LICENSE"
# xterm.js, the pod terminal: the terminal, its stylesheet, and the add-on that fits it
# to its box (UMD builds: window.Terminal, window.FitAddon).
cp node_modules/@xterm/xterm/lib/xterm.js node_modules/@xterm/xterm/css/xterm.css "$dest/xterm/"
cp node_modules/@xterm/addon-fit/lib/addon-fit.js "$dest/xterm/"
cp node_modules/@xterm/xterm/LICENSE "$dest/xterm/LICENSE"
node -e 'const l=require("./package-lock.json").packages; for (const [k,v] of Object.entries(l)) if (k) console.log(k.replace("node_modules/",""), v.version)' > "$dest/VERSIONS"
echo "vendored into $dest:"; cat "$dest/VERSIONS"
