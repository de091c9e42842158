"""Patrol photos: real type, EXIF GPS, stored once by SHA-256, thumbnails, attached on submit."""

from __future__ import annotations

import hashlib

import pytest
from patrol_fixtures import NEAR_F03, NOW, jpeg_with_gps, make_patrol, png_bytes
from PIL import Image

from fossilgis.errors import PatrolValidationError, PhotoError
from fossilgis.patrols.model import PhotoRef
from fossilgis.patrols.photos import check_photo, read_photo, sniff_mime
from fossilgis.patrols.submit import submit_patrol


def test_exif_gps_is_read_from_a_jpeg():
    info = read_photo(jpeg_with_gps(105.4012345, 25.9054321), "IMG_0001.JPG")
    assert info.mime == "image/jpeg" and (info.width, info.height) == (640, 480)
    assert info.lon == pytest.approx(105.4012345, abs=1e-6)
    assert info.lat == pytest.approx(25.9054321, abs=1e-6)
    assert info.taken_at.isoformat() == "2025-05-08T02:30:00+00:00"  # 10:30 CST


def test_png_without_exif_has_no_position():
    info = read_photo(png_bytes(), "a.png")
    assert info.mime == "image/png" and info.lon is None and info.taken_at is None


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.7 not an image", "scan.jpg", r"scan.jpg: not a JPEG or PNG image \(first by"),
        (None, "photo.png", r"photo.png: the name says image/png but the content is image/jpeg"),
        (None, "photo.gif", r"extension '.gif' is not .jpg, .jpeg or .png"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 20, "cut.jpg", r"cut.jpg: the image is damaged"),
    ],
)
def test_files_that_are_not_what_they_say(data, name, message):
    data = data if data is not None else jpeg_with_gps(*NEAR_F03)
    with pytest.raises(PhotoError, match=message):
        read_photo(data, name)


def test_size_limit():
    data = jpeg_with_gps(*NEAR_F03)
    with pytest.raises(PhotoError, match=r"over the 0.0 MB limit"):
        check_photo(data, "big.jpg", max_bytes=1000)
    assert sniff_mime(data) == "image/jpeg"


def test_photo_sent_twice_is_stored_once(store):
    data = jpeg_with_gps(*NEAR_F03)
    sha = store.put_photo(data, "a.jpg")
    assert store.put_photo(data, "copy-of-a.jpg") == sha == hashlib.sha256(data).hexdigest()
    path = store.photo_path(sha)
    assert path == store.data_dir / "photos" / sha[:2] / f"{sha[2:]}.jpg"
    assert path.read_bytes() == data
    files = [p for p in (store.data_dir / "photos").rglob("*") if p.is_file()]
    assert len(files) == 2  # the photo and its thumbnail, no temp files left
    with Image.open(store.photo_path(sha, thumbnail=True)) as thumb:
        assert max(thumb.size) == 320
    with store._read() as conn:
        assert conn.execute("SELECT count(*) FROM photos").fetchone()[0] == 1


def test_submit_places_photos_by_exif_and_never_drops_one(store):
    patrol = make_patrol(2)
    wp = patrol.waypoints[1]
    patrol.photos = [PhotoRef(name="overview.png")]
    files = {
        "overview.png": png_bytes(),
        "pit.jpg": jpeg_with_gps(wp.lon + 0.0001, wp.lat),  # ~10 m from waypoint 1
        "far.jpg": jpeg_with_gps(105.6, 26.1, color=(1, 2, 3)),  # near no waypoint
    }
    result = submit_patrol(store, patrol, user="alice", files=files, now=NOW)
    rec = result.record
    assert [p.name for p in rec.waypoints[1].photos] == ["pit.jpg"]
    assert rec.waypoints[1].photos[0].lon == pytest.approx(wp.lon + 0.0001, abs=1e-6)
    assert sorted(p.name for p in rec.photos) == ["far.jpg", "overview.png"]
    assert store.list_patrols()["photo_count"].iloc[0] == 3
    again = submit_patrol(
        store,
        make_patrol(0).replace(
            uuid=patrol.uuid,
            started_at=patrol.started_at,
            ended_at=patrol.ended_at,
            waypoints=patrol.waypoints[:1] + [wp.__class__(**{**wp.__dict__, "photos": []})],
            photos=[PhotoRef(name="overview.png")],
        ),
        user="alice",
        files=files,
        now=NOW,
    )
    assert not again.created


def test_named_photo_not_sent(store):
    patrol = make_patrol(1)
    patrol.waypoints[0].photos = [PhotoRef(name="IMG_7.jpg")]
    with pytest.raises(PatrolValidationError, match="“IMG_7.jpg”, is named in the record but"):
        submit_patrol(store, patrol, user="alice", files={}, now=NOW)
    assert store.list_patrols().empty


def test_bad_photo_stores_nothing(store):
    patrol = make_patrol(1)
    files = {"a.jpg": jpeg_with_gps(*NEAR_F03), "b.jpg": b"GIF89a...."}
    with pytest.raises(PhotoError, match="“b.jpg”, is not a JPEG or PNG"):
        submit_patrol(store, patrol, user="alice", files=files, now=NOW)
    assert store.list_patrols().empty
    assert not (store.data_dir / "photos").exists()
