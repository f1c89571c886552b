from pathlib import Path

import pytest

from pipelines.profile import DEMO_PROFILE, ProfileError, load_profile


def test_demo_profile_is_complete():
    profile = load_profile()
    assert profile.small_cell_k == 10
    assert {s.code for s in profile.services if s.critical} >= {"spot", "derivatives"}
    assert len(profile.funds) >= 2 and profile.regulators
    assert profile.classification.clients_affected_count == 100_000


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bad_lei_check_digits_are_rejected(tmp_path):
    text = DEMO_PROFILE.read_text(encoding="utf-8").replace("529900NORTHWINDEXC19", "529900NORTHWINDEXC18")
    with pytest.raises(ProfileError, match="lei: .*check digits"):
        load_profile(_write(tmp_path, text))


def test_unknown_key_is_rejected(tmp_path):
    text = DEMO_PROFILE.read_text(encoding="utf-8").replace("small_cell_k = 10", "small_cel_k = 10")
    with pytest.raises(ProfileError, match="small_cel_k"):
        load_profile(_write(tmp_path, text))


def test_unreadable_profile_names_the_file(tmp_path):
    with pytest.raises(ProfileError, match="profile.toml"):
        load_profile(_write(tmp_path, "legal_name = "))


@pytest.mark.parametrize("languages, expected", [('["en", "fr"]', "no catalog for fr"),
                                                 ('["de", "de"]', "lists a language twice")])
def test_public_languages_need_a_catalog_each_once(tmp_path, languages, expected):
    text = DEMO_PROFILE.read_text(encoding="utf-8").replace('public_languages = ["en", "de"]',
                                                           f"public_languages = {languages}")
    with pytest.raises(ProfileError, match=f"public_languages.*{expected}"):
        load_profile(_write(tmp_path, text))


@pytest.mark.parametrize("line, expected", [('timezone = "Europe/Luxembourg"', 'timezone = "Europe/Lux"'),
                                            ('holiday_calendar = "LU"', 'holiday_calendar = "XQ"')])
def test_a_dora_calendar_must_exist(tmp_path, line, expected):
    text = DEMO_PROFILE.read_text(encoding="utf-8").replace(line, expected)
    with pytest.raises(ProfileError, match="unknown time zone|no public-holiday calendar"):
        load_profile(_write(tmp_path, text))


def test_dora_reports_go_to_one_competent_authority(tmp_path):
    bafin = 'short_name = "BaFin"\njurisdiction = "DE"\nlanguage = "en"\n'
    text = DEMO_PROFILE.read_text(encoding="utf-8").replace(
        bafin, bafin + '\n[regulators.dora]\nchannel = "MVP portal"\ntimezone = "Europe/Berlin"\n'
                       'holiday_calendar = "DE-HE"\n')
    with pytest.raises(ProfileError, match="CSSF, BaFin each have a \\[dora\\] section"):
        load_profile(_write(tmp_path, text))
    assert load_profile().dora_authority.short_name == "CSSF"
