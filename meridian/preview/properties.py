"""Property paths and values as Pulumi writes them, with secrets masked.

Paths use Pulumi's `PropertyPath` text form (`pulumi/pulumi` `sdk/go/common/resource/properties_path.go`,
`PropertyPath.String` and `requiresQuote`): a key of letters, digits and `_` is joined with `.`, any other key is
written `["key"]`, an index `[0]` — e.g. `tags["meridian:region"]`, `spec.template.spec.containers[0].image`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, Final

SECRET_MASK: Final = "[secret]"
"""What `pulumi preview --json` writes for a secret (`pkg/backend/display/json.go`, `massagePropertyValue`) and
what `meridian synth` writes in plan.json."""
SECRET_SIG_KEY: Final = "4dabf18193072939515e22adb298388d"
SECRET_SIG: Final = "1b47061264138c4ac30d75fd1eb44270"
"""A serialized secret (`sdk/go/common/apitype/core.go` `SecretV1`, `sdk/go/common/resource/sig/sig.go`)."""
COMPUTED: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
"""An unknown value (`pkg/resource/stack/deployment.go` `computedValuePlaceholder`)."""
SECRET_KEY: Final = re.compile(r"(pass(word|wd|phrase)|secret|token|credentials?|private_?key|api_?key|access_?key|"
                               r"routing_?key)$", re.IGNORECASE)
"""Keys (ending in one of these words) whose text values are masked even when nothing marked them secret;
`secretName` or `passwordFile` name a secret without holding it, and a boolean or number is never masked."""
SECRET_DATA_TYPES: Final = frozenset({"kubernetes:core/v1:Secret"})
"""Types whose `data` and `stringData` are secret whatever their keys."""
_SIMPLE_KEY: Final = re.compile(r"[A-Za-z0-9_]+")
_TOKEN: Final = re.compile(r'\.?([A-Za-z0-9_]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\.?([^.\[]+)')

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """`PropertyPath.String()`: `a.b[0]["c.d"]`."""
    out: list[str] = []
    for index, part in enumerate(path):
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _SIMPLE_KEY.fullmatch(part):
            out.append(part if index == 0 else f".{part}")
        else:
            escaped = part.replace('"', '\\"')
            out.append(f'["{escaped}"]')
    return "".join(out)


def parse_path(text: str) -> Path:
    """The inverse of `format_path` (lenient: an unquoted key with odd characters is kept whole)."""
    parts: list[str | int] = []
    for match in _TOKEN.finditer(text):
        simple, index, quoted, other = match.groups()
        if index is not None:
            parts.append(int(index))
        elif quoted is not None:
            parts.append(quoted.replace('\\"', '"'))
        else:
            parts.append(simple if simple is not None else other)
    return tuple(parts)


def lookup(value: Any, path: Path) -> tuple[bool, Any]:
    """(found, value) at `path` inside a JSON tree."""
    for part in path:
        in_list = isinstance(part, int) and isinstance(value, list) and 0 <= part < len(value)
        if in_list or (isinstance(part, str) and isinstance(value, dict) and part in value):
            value = value[part]
        else:
            return False, None
    return True, value


def is_secret_path(path: Path, resource_type: str = "") -> bool:
    """True when the value at `path` must never be shown."""
    keys = [part for part in path if isinstance(part, str)]
    if resource_type in SECRET_DATA_TYPES and keys and keys[0] in ("data", "stringData"):
        return True
    return any(SECRET_KEY.search(key) for key in keys)


def mask(value: Any) -> Any:
    """The tree with every secret-marked value replaced by the mask."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return SECRET_MASK
        return {key: mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask(item) for item in value]
    return value


def leaves(value: Any, prefix: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every scalar (and every empty container) in a JSON tree with its path; secrets stay one leaf."""
    if isinstance(value, dict) and value and value.get(SECRET_SIG_KEY) != SECRET_SIG:
        for key in sorted(value):
            yield from leaves(value[key], (*prefix, key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from leaves(item, (*prefix, index))
    else:
        yield prefix, value


def show(value: Any, path: Path = (), resource_type: str = "", width: int = 60) -> str:
    """A short, masked text of a value for a table cell."""
    value = mask(value)
    if value == SECRET_MASK or (isinstance(value, str | dict | list) and is_secret_path(path, resource_type)):
        return SECRET_MASK
    if value == COMPUTED:
        return "(known after apply)"
    if isinstance(value, dict):
        return f"{{{len(value)} keys}}"
    if isinstance(value, list):
        return f"[{len(value)} items]"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"
