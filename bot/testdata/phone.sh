#!/bin/sh
# Screenshots of the golden sessions as a 360 px phone at 19 px shows them.
# Needs chromium and a CJK font (apt-get install -y chromium fonts-noto-cjk).
#   bot/testdata/phone.sh [out-dir]     (default /tmp/tsbot-phone; PHONE_HEIGHT=4000 px)
# Then look at out-dir/*.png. The same sessions' line widths are checked by
# go test ./bot (phone_test.go); this shows what the measure stands for.
set -eu
out=${1:-/tmp/tsbot-phone}
cd "$(dirname "$0")/../.."
go test ./bot -run 'Session|Button|Export|Deadline|Confirm' -count=1 -phone "$out" >/dev/null
for page in "$out"/*.html; do
	chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--window-size=360,"${PHONE_HEIGHT:-4000}" --screenshot="${page%.html}.png" "file://$page" 2>/dev/null
done
ls "$out"/*.png
