"""The one exception tree of fossilgis.

Every error a user can meet is a ``FossilGISError``. Each subclass also inherits the
matching built-in exception so that callers may catch either. Messages name the file or
parameter, the value found, what was expected and the fix; the CLI and the web app show
them as they are.

Each class also carries the HTTP status the web app answers it with (``http_status``) and
a short stable ``code`` for the JSON body of the API; a subclass inherits both unless it
says otherwise.
"""

from __future__ import annotations


class FossilGISError(Exception):
    """Base class of every error fossilgis reports to a user."""

    #: short machine-readable code, used by the web API
    code = "error"
    #: HTTP status of the web app's answer: 4xx the request's fault, 5xx the server's
    http_status = 400


class InputFileError(FossilGISError, ValueError):
    """A user's file cannot be read as a footprint or layer (format, geometry, content)."""

    code = "bad_input"
    http_status = 422


class InputNotFoundError(FossilGISError, FileNotFoundError):
    """A file or layer that was named does not exist."""

    code = "not_found"


class CRSError(InputFileError):
    """The coordinate reference system of a file is missing, ambiguous or unsupported.

    ``proposed_crs`` is the one CRS the message proposes (``"EPSG:4524"``) when there is
    exactly one, so that a form can offer it without parsing the text; else None.
    """

    code = "crs"

    def __init__(self, message: str, proposed_crs: str | None = None):
        super().__init__(message)
        self.proposed_crs = proposed_crs


class EncodingError(InputFileError):
    """Attribute text cannot be decoded without guessing."""

    code = "encoding"


class OutsideProvinceError(InputFileError):
    """Coordinates fall outside Guizhou after transformation."""

    code = "outside_province"


class RulesError(FossilGISError, ValueError):
    """The rules file is missing a value or holds an invalid one."""

    code = "rules"
    http_status = 500  # the server's rules file, not the request


class LayerValidationError(FossilGISError, ValueError):
    """A reference layer (sites, sections) fails validation; ``problems`` lists each one."""

    code = "layer_invalid"

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class StoreError(FossilGISError, RuntimeError):
    """The data store cannot be opened, migrated or written."""

    code = "store"
    http_status = 500  # the server's data, not the request


class ConflictError(FossilGISError, ValueError):
    """A record with the same id exists with different content."""

    code = "conflict"
    http_status = 409


class UnsupportedFormatError(InputFileError):
    """The file's kind (extension or content) is not one fossilgis reads."""

    code = "unsupported_format"


class UnsupportedGeometryError(InputFileError):
    """A geometry type that cannot be turned into points, lines or polygons (TIN, ...)."""

    code = "unsupported_geometry"


class InputTooLargeError(InputFileError):
    """A user's file exceeds a reading limit (features, vertices, cells, nesting...).

    ``limit`` names the limit (see :class:`fossilgis.io.limits.ReadLimits`), ``found`` the
    value met and ``allowed`` the limit's value; the message says how to raise it.
    """

    code = "too_large"
    http_status = 413

    def __init__(self, message: str, limit: str | None = None, found=None, allowed=None):
        super().__init__(message)
        self.limit, self.found, self.allowed = limit, found, allowed


class UnsafeArchiveError(InputFileError):
    """An uploaded archive is refused: path traversal, too large, or a zip bomb."""

    code = "unsafe_archive"


class RecordNotFoundError(FossilGISError, LookupError):
    """A patrol, user or other record that was named does not exist."""

    code = "not_found"
    http_status = 404


class PatrolValidationError(FossilGISError, ValueError):
    """A patrol record is refused; ``problems`` lists every reason, each naming its field."""

    code = "patrol_invalid"

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems or [message])


class PhotoError(InputFileError):
    """An uploaded photo is refused: not a JPEG/PNG, not what its name says, or too large."""

    code = "bad_photo"
    http_status = 400


class PhotoTooLargeError(PhotoError):
    """An uploaded photo is over the size limit."""

    http_status = 413


class AuthError(FossilGISError, PermissionError):
    """Sign-in failed, or a user lacks the role an action needs."""

    code = "forbidden"
    http_status = 403


class ProtectedPathError(FossilGISError, PermissionError):
    """An output path is the store's own file, its sidecar, photo folder or secret key."""

    code = "protected_path"


class OutputError(FossilGISError, OSError):
    """An output file cannot be written (missing folder, disk full, I/O error)."""

    code = "output"
