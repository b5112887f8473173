"""The synthetic portal set the build is measured on: `portals` × `languages` in a temporary
`sites/`, shaped like the real ones (two partners, three local help lines labelled in every
language) and merged over the repository's own `sites/_defaults.yaml`."""
from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["COUNTRIES", "LANGUAGES", "write_sites"]

# ISO 3166-1 alpha-2 codes of 50 real countries (portal URL segments).
COUNTRIES = (
    "ao bd bf bi bj bo bw bz cd cf cg ci cm co do dz ec eg et ga gh gm gn gt hn ht id in jm ke "
    "kh la lk lr ls mg ml mm mn mw mz na ne ng np pk rw sn tz ug").split()
# BCP 47 tags, left-to-right and right-to-left; each portal takes `languages` consecutive ones.
LANGUAGES = ("en", "fr", "es", "pt", "ar", "sw", "hi", "ur", "id", "bn", "fa", "ru", "am", "ha", "my", "ne")

_FALLBACK_DEFAULTS = """\
base_url: https://report.example.org
hotline:
  name: Example Hotline
  url: https://hotline.example.org/
recipients: []
"""


def _portal_yaml(index: int, code: str, languages: list[str]) -> str:
    def labels(text: str) -> str:
        return "".join(f"      {lang}: \"{text} ({lang}) – {code.upper()}\"\n" for lang in languages)

    return (
        f"code: {code}\n"
        f"languages: [{', '.join(languages)}]\n"
        "partners:\n"
        f"  - name: National Police of {code.upper()}\n"
        f"    url: https://police.example.org/{code}/\n"
        f"  - name: Child Rights Network {index}\n"
        "help:\n"
        "  - kind: emergency\n"
        "    phone: \"112\"\n"
        "    label:\n" + labels("Emergency: police, fire, ambulance") +
        "  - kind: helpline\n"
        "    phone: \"116 111\"\n"
        "    label:\n" + labels("Child helpline, free, 24 hours") +
        "  - kind: other\n"
        f"    url: https://cybercrime.example.org/{code}/\n"
        "    label:\n" + labels("Report other online crime to the police")
    )


def write_sites(target: Path, defaults: Path | None, portals: int = 50, languages: int = 4) -> list[str]:
    """Write `portals` portal files (≤ 50) with `languages` languages each (≤ 16) into `target`,
    plus `_defaults.yaml` copied from `defaults` when it exists. Returns the portal codes."""
    if not 1 <= portals <= len(COUNTRIES) or not 1 <= languages <= len(LANGUAGES):
        raise ValueError(f"at most {len(COUNTRIES)} portals and {len(LANGUAGES)} languages")
    target.mkdir(parents=True, exist_ok=True)
    if defaults is not None and defaults.is_file():
        shutil.copyfile(defaults, target / "_defaults.yaml")
    else:
        (target / "_defaults.yaml").write_text(_FALLBACK_DEFAULTS, encoding="utf-8")
    codes = list(COUNTRIES[:portals])
    for index, code in enumerate(codes):
        langs = [LANGUAGES[(index + k) % len(LANGUAGES)] for k in range(languages)]
        (target / f"{code}.yaml").write_text(_portal_yaml(index, code, langs), encoding="utf-8")
    return codes
