"""The store package's shape: modules import alone (no cycle), stay small, and the facade
keeps every method name callers use."""

import subprocess
import sys
from pathlib import Path

import pytest

import fossilgis.store

PACKAGE = Path(fossilgis.store.__file__).parent
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")

#: what the CLI, the web app, the OGC API and the tests call on a store
PUBLIC = """
    read_layer get_feature layer_info replace_layer layer_history restore_layer
    save_patrol update_patrol get_patrol list_patrols list_waypoints patrols_version
    delete_patrol restore_patrol put_photo photo_path photo_info
    add_user get_user list_users set_user_disabled set_password_hash
    start_session session_user end_session end_sessions add_token token_owner revoke_tokens
    append_audit audit_rows schema_version protected_paths describe close _tx _read
""".split()


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_alone(module):
    """Imported first, in a fresh interpreter: an import cycle would fail here."""
    done = subprocess.run(
        [sys.executable, "-c", f"import fossilgis.store.{module}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("module", MODULES + ["__init__"])
def test_no_module_over_400_lines(module):
    lines = (PACKAGE / f"{module}.py").read_text(encoding="utf-8").count("\n")
    assert lines <= 400, f"fossilgis/store/{module}.py has {lines} lines; split it"


def test_facade_keeps_the_public_names():
    from fossilgis.store.base import Store

    missing = [name for name in PUBLIC if not hasattr(Store, name)]
    assert not missing, missing


def test_a_store_is_composed_of_repositories(tmp_path):
    from fossilgis.store import open_store
    from fossilgis.store.accounts import Accounts
    from fossilgis.store.audit import AuditLog
    from fossilgis.store.base import Store
    from fossilgis.store.layers import Layers
    from fossilgis.store.patrols import Patrols
    from fossilgis.store.photos import Photos

    store = open_store(tmp_path)
    assert [type(c).__mro__[1] for c in (store.layers, store.patrols)] == [object, object]
    assert isinstance(store, Store) and len(type(store).__mro__) == 3  # GeoPackageStore
    for name, cls in (
        ("layers", Layers),
        ("patrols", Patrols),
        ("photos", Photos),
        ("accounts", Accounts),
        ("audit", AuditLog),
    ):
        assert type(getattr(store, name)) is cls
    assert store.read_layer("sites").equals(store.layers.read("sites"))
    assert store.layer_info("sites") == store.layers.info("sites")
