"""The one way a patrol gets stored: validate, store photos, infer the target, save once."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from fossilgis.errors import ConflictError, PhotoError, PhotoTooLargeError
from fossilgis.patrols.infer import infer_target, target_distances, targets_frame
from fossilgis.patrols.messages import Message, message, refused
from fossilgis.patrols.model import Patrol, PhotoRef
from fossilgis.patrols.validate import validate_patrol

log = logging.getLogger(__name__)

#: a photo with EXIF GPS within this distance of a waypoint is attached to it (metres)
PHOTO_MATCH_M = 50.0


@dataclass
class SubmitResult:
    """What :func:`submit_patrol` did: the stored record, whether it was new (201) or an
    identical re-send (200), and warnings for the sender (:class:`Message`: bilingual text
    with ``field`` and ``code``)."""

    record: Patrol
    created: bool
    warnings: list[Message] = field(default_factory=list)


def load_targets(store):
    """Sites and sections of the store as one frame (``kind``, ``id``, names, geometry)."""
    return targets_frame(store.read_layer("sites"), store.read_layer("sections"))


def _nearest_waypoint(patrol: Patrol, lon: float, lat: float):
    import geopandas as gpd
    import shapely

    if not patrol.waypoints:
        return None
    points = gpd.GeoDataFrame(
        geometry=[shapely.Point(w.lon, w.lat) for w in patrol.waypoints], crs="EPSG:4490"
    )
    dist = target_distances(shapely.Point(lon, lat), points)
    best = int(dist.idxmin())
    return patrol.waypoints[best] if dist[best] <= PHOTO_MATCH_M else None


def _photo_places(patrol: Patrol):
    """(field path, PhotoRef) of every photo the record names."""
    for j, ref in enumerate(patrol.photos):
        yield f"photos[{j}]", ref
    for i, w in enumerate(patrol.waypoints):
        for j, ref in enumerate(w.photos):
            yield f"waypoints[{i}].photos[{j}]", ref


def _check_photo_refs(store, patrol: Patrol, files: Mapping[str, bytes]) -> None:
    """Every photo the record names by SHA-256 must be stored already, every photo named
    by file name must have been sent, and every photo must have a hash or a file name:
    else 400 naming each (never a server error, which an offline outbox would send again
    for ever)."""
    problems = []
    for where, ref in _photo_places(patrol):
        if ref.sha256:
            if store.photo_info(ref.sha256) is None:
                problems.append(message("photo_not_on_server", where, sha=ref.sha256[:12]))
        elif not ref.name:
            problems.append(message("photo_unnamed", where))
        elif ref.name not in files:
            problems.append(message("photo_not_sent", where, name=ref.name))
    if problems:
        raise refused(problems)


def _photo_refused(
    exc: PhotoError, patrol: Patrol, name: str, data: bytes, limit: int, opening: bool
):
    """The same error, in words: which photo (where the record names it), what is wrong
    and what to do. ``opening``: it was raised opening the image, after the checks of
    size, type and name had passed (a damaged image, or too many pixels)."""
    from fossilgis.patrols.photos import sniff_mime

    where = next((w for w, ref in _photo_places(patrol) if ref.name == name), "photos")
    if isinstance(exc, PhotoTooLargeError):
        size, most = _megabytes(len(data)), _megabytes(limit)
        return PhotoTooLargeError(
            message("photo_too_large", where, name=name, size=size, limit=most)
        )
    mime = sniff_mime(data)
    if mime is None:
        return type(exc)(message("photo_not_image", where, name=name))
    if opening:
        return type(exc)(message("photo_damaged", where, name=name))
    return type(exc)(message("photo_wrong_extension", where, name=name, mime=mime))


def _megabytes(n: int) -> str:
    """Bytes as megabytes for people: ``12.5``; small limits keep two digits (``0.02``)."""
    return f"{n / 1e6:.1f}" if n >= 100_000 else f"{n / 1e6:.2g}"


def _store_photos(store, patrol: Patrol, files: Mapping[str, bytes], max_bytes) -> list[Message]:
    from fossilgis.patrols.photos import DEFAULT_MAX_PHOTO_BYTES, check_photo

    limit = max_bytes or DEFAULT_MAX_PHOTO_BYTES
    _check_photo_refs(store, patrol, files)
    named = {ref.name for ref in patrol.all_photos() if ref.name and not ref.sha256}
    stored = {}
    name, opening = "", False
    try:
        for name in sorted(files):  # check every file before storing any
            check_photo(files[name], name, limit)
        opening = True
        for name in sorted(files):
            stored[name] = store.put_photo(files[name], name, max_bytes=limit)
    except PhotoError as exc:
        raise _photo_refused(exc, patrol, name, files[name], limit, opening) from None
    log.debug("photos: %d files sent and stored, %d named in the record", len(files), len(named))
    for ref in patrol.all_photos():
        if ref.name and not ref.sha256:
            ref.sha256 = stored[ref.name]
    warnings = []
    for name in sorted(set(files) - named):  # sent but not referenced: attach, never drop
        info = store.photo_info(stored[name])
        ref = PhotoRef(sha256=info.sha256, name=name)
        home = None
        if info.lon is not None:
            home = _nearest_waypoint(patrol, info.lon, info.lat)
        if home is not None:
            home.photos.append(ref)
            log.debug(
                "photo %s: not named in the record; attached to waypoint %s by its EXIF position",
                name,
                home.uuid,
            )
        else:
            patrol.photos.append(ref)
            log.debug(
                "photo %s: not named in the record; attached to the patrol (%s)",
                name,
                "no EXIF position" if info.lon is None else "no waypoint within 50 m",
            )
            if info.lon is None:
                where = f"photos[{len(patrol.photos) - 1}]"
                warnings.append(message("photo_no_position", where, name=name))
    return warnings


def submit_patrol(
    store,
    patrol: Patrol,
    *,
    user: str,
    files: Mapping[str, bytes] | None = None,
    targets=None,
    now: dt.datetime | None = None,
    max_photo_bytes: int | None = None,
) -> SubmitResult:
    """Validate and store a patrol with its photos; idempotent on the patrol's UUID.

    Parameters
    ----------
    store : fossilgis.store.Store
    patrol : Patrol
        As received (web form, API body, imported file). Photo refs with a ``name`` and no
        ``sha256`` are looked up in ``files``.
    user : str
        The sender's username; check the role first (:func:`fossilgis.auth.require_write`).
    files : mapping of str to bytes, optional
        Uploaded photos by name (multipart part file names, or files of ``--photos DIR``).
        Files the record does not name are attached to the waypoint within 50 m of their
        EXIF GPS position, else to the patrol: a photo that was sent is never dropped.
    targets : GeoDataFrame, optional
        Sites and sections (:func:`load_targets`); read from the store when omitted.
    now : datetime, optional
        Server time for the "in the future" checks.
    max_photo_bytes : int, optional
        Photo size limit (config); default ``DEFAULT_MAX_PHOTO_BYTES``.

    Returns
    -------
    SubmitResult
        ``created`` False means the same UUID with the same content was stored before
        (answer 200 with the stored record, not 201).

    Raises
    ------
    PatrolValidationError
        Bad fields (all listed); nothing is stored.
    PhotoError
        A photo is not a JPEG/PNG, not what its name says, or too large; nothing is stored.
    ConflictError
        The UUID is stored with different content (HTTP 409).
    """
    log.info(
        "patrol %s from %s: %d waypoints, %d photo files",
        patrol.uuid,
        user,
        len(patrol.waypoints),
        len(files or {}),
    )
    if targets is None:
        targets = load_targets(store)
    warnings = validate_patrol(patrol, targets, now)
    warnings += _store_photos(store, patrol, files or {}, max_photo_bytes)
    if not patrol.target_id:
        hit = infer_target(patrol.geometry, targets)
        if hit is None:
            log.info("patrol %s: no target within 5 km; stored without one", patrol.uuid)
            warnings.append(message("no_target_nearby", "target_id"))
        else:
            patrol.target_kind, patrol.target_id = hit.kind, hit.id
            patrol.target_inferred, patrol.target_distance_m = True, hit.distance_m
            log.info(
                "patrol %s: target inferred as %s %s, %.0f m away",
                patrol.uuid,
                hit.kind,
                hit.id,
                hit.distance_m,
            )
    try:
        record, created = store.save_patrol(patrol, user)
    except ConflictError as exc:
        raise _conflict(exc, patrol) from None
    log.info(
        "patrol %s: %s (%d warnings)",
        patrol.uuid,
        "stored" if created else "identical re-send, already stored",
        len(warnings),
    )
    return SubmitResult(record, created, warnings)


def _conflict(exc: ConflictError, patrol: Patrol) -> ConflictError:
    """The store's conflict in words: the record's UUID stored with other content, or a
    point's UUID that belongs to another patrol."""
    import re

    clash = re.match(r"waypoints\[(\d+)\]\.uuid: \S+ already belongs to patrol (\S+);", str(exc))
    if clash:
        where = f"waypoints[{clash.group(1)}].uuid"
        return ConflictError(message("uuid_taken", where, other=clash.group(2)))
    if "already stored with different content" in str(exc):
        return ConflictError(message("conflict", "uuid", uuid=patrol.uuid))
    return exc
