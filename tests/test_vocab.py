"""fossilgis.vocab: one code list, one wording; the modules that re-export it agree."""

import pytest

from fossilgis import auth, errors, rules, schema, vocab
from fossilgis.patrols import model


def test_vocabulary_api():
    levels = vocab.PROTECTION_LEVELS
    assert levels.codes == ("national_key", "provincial_key", "general") == tuple(levels)
    assert levels.zh("national_key") == "国家级重点" and levels.en("general") == "General"
    assert levels["provincial_key"] == vocab.Label("省级重点", "Provincial key")
    assert levels.label("national_key", "zh") == "国家级重点"
    assert levels.label("national_key", "en", inline=True) == "national key"
    assert levels.label("national_key") == "国家级重点 National key"
    assert levels.label("unknown", "en") == "unknown"
    assert "general" in levels and "国家级重点" not in levels and len(levels) == 3
    assert levels.as_dicts()["general"] == {"zh": "一般", "en": "General"}
    assert levels.choices() == (
        "national_key (国家级重点), provincial_key (省级重点), general (一般)"
    )
    cats = vocab.OBSERVATION_CATEGORIES
    assert cats.code_for("非法采挖") == "illegal_excavation"
    assert cats.code_for(" Illegal Excavation ") == "illegal_excavation"
    assert cats.code_for("nonsense") is None and cats.code_for("") is None
    with pytest.raises(KeyError):
        levels.zh("national")


def test_every_label_is_bilingual_and_every_code_unique():
    for name, v in vocab.ALL.items():
        assert v.name == name and len(set(v.codes)) == len(v.codes)
        for code, label in v.items():
            assert label.zh and label.en and label.zh != label.en, (name, code)


def test_the_modules_read_the_one_vocabulary():
    assert schema.PROTECTION_LEVELS == rules.PROTECTION_LEVELS == vocab.PROTECTION_LEVELS.codes
    assert schema.BOUNDARY_STATUSES == vocab.BOUNDARY_STATUSES.codes
    assert schema.LAYER_KINDS == vocab.LAYER_KINDS.codes
    assert schema.LABELS["sites"] == ("化石产地", "fossil sites")
    assert rules.GRADES == vocab.GRADES.codes and rules.ZONES == vocab.ZONES.codes
    assert rules.PROJECT_TYPES == vocab.PROJECT_TYPES.codes
    assert rules.TARGET_KINDS == model.TARGET_KINDS == vocab.TARGET_KINDS.codes
    assert rules.PROTECTION_LEVEL_LABELS == vocab.PROTECTION_LEVELS.as_dicts()
    assert rules.GRADE_LABELS["avoid"] == {"zh": "须避让", "en": "Must avoid"}
    assert model.OBSERVATION_CATEGORIES is vocab.OBSERVATION_CATEGORIES
    assert model.SEVERITIES is vocab.SEVERITIES and model.Label is vocab.Label
    assert auth.ROLES is vocab.ROLES and auth.ROLES["admin"][0] == "管理员"
    assert set(model.ALERT_CATEGORIES) <= set(vocab.OBSERVATION_CATEGORIES)


def test_cli_choices_come_from_the_vocabulary():
    from fossilgis.cli.impact import impact_check
    from fossilgis.cli.layers import import_
    from fossilgis.cli.users import add

    def choices(command, option):
        return tuple(next(p for p in command.params if p.name == option).type.choices)

    assert choices(impact_check, "project_type") == vocab.PROJECT_TYPES.codes
    assert choices(impact_check, "fail_on") == ("attention", "assess", "avoid")
    assert choices(impact_check, "lang") == vocab.LANGS
    assert choices(add, "role") == vocab.ROLES.codes
    assert choices(import_, "boundary_status") == vocab.BOUNDARY_STATUSES.codes


@pytest.mark.parametrize(
    "exc, status",
    [
        (errors.FossilGISError("x"), 400),
        (errors.InputFileError("x"), 422),
        (errors.CRSError("x"), 422),
        (errors.InputNotFoundError("x"), 400),
        (errors.InputTooLargeError("x"), 413),
        (errors.UnsafeArchiveError("x"), 422),
        (errors.ConflictError("x"), 409),
        (errors.AuthError("x"), 403),
        (errors.ProtectedPathError("x"), 400),
        (errors.RecordNotFoundError("x"), 404),
        (errors.StoreError("x"), 500),
        (errors.RulesError("x"), 500),
        (errors.PatrolValidationError("x"), 400),
        (errors.PhotoError("x"), 400),
        (errors.PhotoTooLargeError("x"), 413),
    ],
)
def test_errors_carry_their_http_status(exc, status):
    assert exc.http_status == status and exc.code


def test_an_oversized_photo_is_a_photo_too_large_error():
    from fossilgis.patrols.photos import check_photo

    with pytest.raises(errors.PhotoTooLargeError, match=r"over the 0\.0 MB limit") as info:
        check_photo(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "a.png", 10)
    assert isinstance(info.value, errors.PhotoError) and info.value.code == "bad_photo"
