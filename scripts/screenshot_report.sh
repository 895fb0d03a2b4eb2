#!/usr/bin/env bash
# Render a report.html to one full-page PNG in headless Chromium (Debian `chromium`), to look at its layout.
#   scripts/screenshot_report.sh [REPORT_HTML] [OUT_PNG] [WIDTH]
# Defaults: out/demo/report/report.html -> out/demo/report/report.png, 1200 px wide. Headless --screenshot only
# captures the window, so the window is made taller than any report and the empty space below the page is cropped.
set -euo pipefail
cd "$(dirname "$0")/.."
html=${1:-out/demo/report/report.html}
png=${2:-${html%.html}.png}
width=${3:-1200}
if [ ! -f "$html" ]; then
  echo "Error: $html: no such report; run scripts/demo.sh (or narrative report --out DIR) first." >&2
  exit 2
fi
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "Error: no Chromium found; install it with: apt-get update && apt-get install -y chromium" >&2
  exit 1
fi
python=.venv/bin/python
[ -x "$python" ] || python=python3
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
  --virtual-time-budget=5000 --window-size="$width,16000" --screenshot="$(realpath -m "$png")" \
  "file://$(realpath "$html")" 2>/dev/null
"$python" - "$png" <<'PY'
import sys
from PIL import Image, ImageChops

path = sys.argv[1]
image = Image.open(path).convert("RGB")
background = Image.new("RGB", image.size, image.getpixel((image.width - 1, image.height - 1)))
box = ImageChops.difference(image, background).getbbox()
bottom = min(image.height, (box[3] if box else image.height) + 40)
image.crop((0, 0, image.width, bottom)).save(path)
print(f"wrote {path} ({image.width}x{bottom})")
PY
