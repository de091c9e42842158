"""Helpers of the patrol tests: a patrol factory, JPEGs with EXIF GPS, writer processes.

Stores come from conftest.py (``store``: both backends).
"""

from __future__ import annotations

import datetime as dt
import io
import uuid

import shapely

from fossilgis.patrols.model import Observation, Patrol, Waypoint

#: inside demonstration site GZ-F03 (Guanling biota, Xinpu / Wolonggang), EPSG:4490
NEAR_F03 = (105.40, 25.90)
NOW = dt.datetime(2025, 5, 10, 12, 0, tzinfo=dt.timezone.utc)


def make_patrol(
    n_waypoints: int = 1,
    *,
    patrol_uuid: str | None = None,
    site_id: str | None = "GZ-F03",
    start: dt.datetime = NOW - dt.timedelta(days=2),
    category: str = "illegal_excavation",
    centre=NEAR_F03,
) -> Patrol:
    """A valid patrol near GZ-F03 with a two-part track and ``n_waypoints`` observations."""
    x, y = centre
    track = shapely.MultiLineString(
        [[(x - 0.004, y - 0.004), (x, y)], [(x, y), (x + 0.003, y + 0.002)]]
    )
    waypoints = [
        Waypoint(
            uuid=str(uuid.uuid4()),
            lon=x + 0.0001 * i,
            lat=y,
            observed_at=start + dt.timedelta(minutes=10 + i % 60),
            name=f"wp{i}",
            observation=Observation(category, "high", f"新挖坑 {i}"),
        )
        for i in range(n_waypoints)
    ]
    return Patrol(
        uuid=patrol_uuid or str(uuid.uuid4()),
        started_at=start,
        ended_at=start + dt.timedelta(hours=3),
        team=["张三", "李四"],
        purpose="例行巡护 routine",
        target_kind="site" if site_id else None,
        target_id=site_id,
        track=track,
        waypoints=waypoints,
    )


def jpeg_with_gps(lon: float, lat: float, size=(640, 480), color=(120, 90, 60)) -> bytes:
    """A JPEG with EXIF GPS (degrees/minutes/seconds rationals) and DateTimeOriginal."""
    from PIL import Image
    from PIL.TiffImagePlugin import IFDRational

    def dms(value: float):
        value = abs(value)
        d = int(value)
        m = int((value - d) * 60)
        s = round(((value - d) * 60 - m) * 60 * 1000)
        return (IFDRational(d, 1), IFDRational(m, 1), IFDRational(s, 1000))

    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x8825] = {
        1: "N" if lat >= 0 else "S",
        2: dms(lat),
        3: "E" if lon >= 0 else "W",
        4: dms(lon),
    }
    exif[0x8769] = {36867: "2025:05:08 10:30:00"}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_bytes(size=(50, 40)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (10, 200, 10)).save(out, "PNG")
    return out.getvalue()


def write_patrols(data_dir: str, count: int, tag: str, store_url: str | None = None) -> list[str]:
    """Open the store in ``data_dir`` (or at ``store_url``) and save ``count`` new patrols
    (a process's work)."""
    from fossilgis.store import open_store

    store = open_store(data_dir, store=store_url)
    uuids = []
    for _ in range(count):
        patrol = make_patrol(2, start=NOW - dt.timedelta(days=1))
        store.save_patrol(patrol, f"writer-{tag}")
        uuids.append(patrol.uuid)
    return uuids
