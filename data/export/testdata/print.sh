#!/bin/sh
# Look at the workbook the way a person sees it: writes the city workbook of
# the export tests' seed, prints it to PDF with LibreOffice and renders each
# page as a PNG. Needs soffice and pdftoppm (Debian: libreoffice-calc
# poppler-utils fonts-noto-cjk; fonts-arphic-uming fonts-arphic-ukai make
# 宋体 and 仿宋 look like themselves); not part of CI.
#
#   data/export/testdata/print.sh [OUTDIR]     (default: /tmp/tsbot-print)
set -eu
out=${1:-/tmp/tsbot-print}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/city.xlsx "$out"/city.pdf "$out"/page-*.png
(cd "$here" && TSBOT_PRINT_DIR="$out" go test -count=1 -run '^TestPrintPreview$' .)

# The Windows fonts the workbook names, mapped to free look-alikes where
# installed: 宋体 to a Ming face, 仿宋 to a Kai face, 黑体 to a sans.
cat > "$out"/fonts.conf <<'XML'
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <alias binding="same"><family>宋体</family><prefer><family>AR PL UMing CN</family><family>Noto Serif CJK SC</family><family>Noto Sans CJK SC</family></prefer></alias>
  <alias binding="same"><family>仿宋</family><prefer><family>AR PL UKai CN</family><family>Noto Serif CJK SC</family><family>Noto Sans CJK SC</family></prefer></alias>
  <alias binding="same"><family>黑体</family><prefer><family>Noto Sans CJK SC</family></prefer></alias>
</fontconfig>
XML
# A profile of its own: a LibreOffice already open elsewhere is left alone.
FONTCONFIG_FILE="$out"/fonts.conf soffice -env:UserInstallation=file://"$out"/lo-profile --headless \
	--convert-to pdf --outdir "$out" "$out"/city.xlsx >/dev/null 2>&1
pdftoppm -r 80 -png "$out"/city.pdf "$out"/page
ls "$out"/city.pdf "$out"/page-*.png
