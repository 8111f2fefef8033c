#!/usr/bin/env bash
# Check that an `lrkit compare` report renders in a real headless browser with its figure visible.
#
#   scripts/check_report_browser.sh REPORT.html [SCREENSHOT.png]
#
# Opens the report in headless Chromium (Debian: apt-get install chromium), without a server and
# without network, and prints one line about the figure as the browser laid it out:
#   figure: complete=true natural=1650x506 box=32,150,1336,410
# (natural = decoded image size in pixels, box = x,y,width,height on a 1400x1100 page), then
# writes a screenshot of the page. Exit status: 0 if the image decoded (natural width > 0),
# 1 if not, 3 if no Chromium is installed.
set -euo pipefail

report=${1:?usage: check_report_browser.sh REPORT.html [SCREENSHOT.png]}
screenshot=${2:-${report%.html}-screenshot.png}
browser=""
for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then browser=$name; break; fi
done
if [ -z "$browser" ]; then
    echo "no chromium found: apt-get install chromium" >&2
    exit 3
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
       --no-first-run --window-size=1400,1100)

# A copy of the report with a probe that records, once the page has loaded, what the browser made
# of the <img id="figure">; --dump-dom prints the DOM after the load.
probe='<script>window.addEventListener("load", () => { const i = document.getElementById("figure");
const r = i.getBoundingClientRect(); document.body.setAttribute("data-figure", "complete=" + i.complete
+ " natural=" + i.naturalWidth + "x" + i.naturalHeight + " box=" + [r.x, r.y, r.width, r.height].map(Math.round)); });
</script></body>'
python3 - "$report" "$work/probe.html" "$probe" <<'EOF'
import sys
text = open(sys.argv[1], encoding="utf-8").read()
open(sys.argv[2], "w", encoding="utf-8").write(text.replace("</body>", sys.argv[3]))
EOF

dom=$("$browser" "${flags[@]}" --user-data-dir="$work/profile1" --virtual-time-budget=5000 --dump-dom \
      "file://$work/probe.html" 2>/dev/null)
figure=$(printf '%s' "$dom" | grep -o 'data-figure="[^"]*"' | head -n 1 | sed 's/^data-figure="//; s/"$//')
"$browser" "${flags[@]}" --user-data-dir="$work/profile2" --screenshot="$screenshot" \
    "file://$(cd "$(dirname "$report")" && pwd)/$(basename "$report")" >/dev/null 2>&1
echo "figure: ${figure:-not found}"
echo "screenshot: $screenshot"
case "$figure" in
    *"complete=true natural=0x"*|"") exit 1 ;;
    *"complete=true natural="*) exit 0 ;;
    *) exit 1 ;;
esac
