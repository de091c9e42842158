#!/bin/sh
# Refresh the vendored browser libraries of the web map from the npm registry.
# Usage: sh webmap/static/vendor/fetch_vendor.sh   (needs npm and tar; run from anywhere)
# Keeps only the files the app serves, plus each package's licence.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

LEAFLET=1.9.4
DRAW=1.0.4
FULLSCREEN=3.0.2
MEASURE=3.1.0
MARKERCLUSTER=1.5.3

unpack() {  # unpack <npm-spec> -> $WORK/<name>/package
    name=$1; spec=$2
    mkdir -p "$WORK/$name"
    (cd "$WORK/$name" && npm pack --silent "$spec" >/dev/null && tar xzf ./*.tgz)
}

unpack leaflet "leaflet@$LEAFLET"
unpack draw "leaflet-draw@$DRAW"
unpack fullscreen "leaflet.fullscreen@$FULLSCREEN"
unpack measure "leaflet-measure@$MEASURE"
unpack markercluster "leaflet.markercluster@$MARKERCLUSTER"

rm -rf "$HERE/leaflet" "$HERE/leaflet-draw" "$HERE/leaflet.fullscreen" "$HERE/leaflet-measure" \
       "$HERE/leaflet.markercluster"

d="$HERE/leaflet"; p="$WORK/leaflet/package"
mkdir -p "$d/images"
cp "$p/LICENSE" "$p/dist/leaflet.js" "$p/dist/leaflet.css" "$d/"
cp "$p/dist/images/"*.png "$d/images/"

d="$HERE/leaflet-draw"; p="$WORK/draw/package"
mkdir -p "$d/images"
cp "$p/dist/leaflet.draw.js" "$p/dist/leaflet.draw.css" "$d/"
cp "$p/dist/images/spritesheet.png" "$p/dist/images/spritesheet-2x.png" \
   "$p/dist/images/spritesheet.svg" "$d/images/"
# the npm tarball carries no licence file; package.json says MIT. Text from the upstream
# repository (Leaflet/Leaflet.draw MIT-LICENSE.md):
cp "$HERE/leaflet-draw.MIT-LICENSE.md" "$d/LICENSE" 2>/dev/null || true

d="$HERE/leaflet.fullscreen"; p="$WORK/fullscreen/package"
mkdir -p "$d"
cp "$p/LICENSE" "$p/Control.FullScreen.js" "$p/Control.FullScreen.css" "$p/icon-fullscreen.svg" "$d/"

d="$HERE/leaflet-measure"; p="$WORK/measure/package"
mkdir -p "$d/assets"
cp "$p/LICENSE" "$p/dist/leaflet-measure.css" "$p/dist/leaflet-measure.en.js" \
   "$p/dist/leaflet-measure.cn.js" "$d/"
cp "$p/dist/assets/"*.png "$d/assets/"

d="$HERE/leaflet.markercluster"; p="$WORK/markercluster/package"
mkdir -p "$d"
cp "$p/dist/leaflet.markercluster.js" "$p/dist/MarkerCluster.css" "$p/dist/MarkerCluster.Default.css" "$d/"
cp "$p/MIT-LICENCE.txt" "$d/LICENSE"

echo "vendored: leaflet $LEAFLET, leaflet-draw $DRAW, leaflet.fullscreen $FULLSCREEN, leaflet-measure $MEASURE, leaflet.markercluster $MARKERCLUSTER"
