"""``undertow new-env NAME``: scaffold a working environment package that passes the contract."""

from __future__ import annotations

import keyword
import re
from pathlib import Path

from undertow.errors import UndertowError

TEMPLATES = Path(__file__).parent / "scaffold_template"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class ScaffoldError(UndertowError):
    """The environment could not be scaffolded; the message says why."""


def new_env(name: str, directory: Path = Path("."), description: str = "") -> Path:
    """Write ``directory/name/`` (env, registration, tests, suite); return the package folder."""
    if not NAME_PATTERN.match(name) or keyword.iskeyword(name):
        raise ScaffoldError(
            f"{name!r} is not a usable package name: use lower case letters, digits and "
            "underscores, starting with a letter (e.g. warehouse)"
        )
    package = Path(directory) / name
    if package.exists():
        raise ScaffoldError(f"{package} already exists; choose another name or folder")
    class_name = "".join(part.title() for part in name.split("_")) + "Env"
    values = {
        "name": name,
        "class_name": class_name,
        "env_id": f"{name}/{class_name.removesuffix('Env')}-v0",
        "description": description or f"The {name} environment.",
    }
    layout = {
        "__init__.py": "__init__.py.tmpl",
        "env.py": "env.py.tmpl",
        "tests/__init__.py": None,
        "tests/test_env.py": "test_env.py.tmpl",
        "suite.yaml": "suite.yaml.tmpl",
    }
    for relative, template in layout.items():
        target = package / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        text = "" if template is None else (TEMPLATES / template).read_text().format(**values)
        target.write_text(text)
    return package
