"""Read and write scenario YAML safely, with errors that point at the line to fix.

YAML is parsed with PyYAML's safe loader (no object construction). Duplicate keys, which
PyYAML would silently overwrite, are rejected. Validation errors from pydantic are mapped
back onto the YAML node they concern, so the message names file, line and field path.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from backchannel.scenario.embedded import DEFAULT_SCENARIO
from backchannel.scenario.errors import InputError, ManyErrors, ScenarioError
from backchannel.scenario.schema import Scenario

MAX_BYTES = 20 * 1024 * 1024
EMBEDDED_PACKAGE = "backchannel.scenario.embedded"
CASES_PACKAGE = "backchannel.scenario.cases"


# -- YAML with positions -------------------------------------------------------------------
def _yaml(parse: Callable[[], Any], source: str) -> Any:
    """Run a PyYAML step, turning its errors (syntax, unknown tags, ...) into ours."""
    try:
        return parse()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise ScenarioError(
            f"not valid YAML: {exc.problem}",
            source=source,
            where=where,
            fix="check indentation, colons and quotes around that place; scenario files "
            "use no !tags",
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"not valid YAML: {exc}", source=source) from None
    except RecursionError:
        raise ScenarioError(
            "the YAML is nested too deeply", source=source, fix="flatten the structure"
        ) from None
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        problem = str(exc)
        if "integer string conversion" in problem:
            problem = f"a number has more than {sys.get_int_max_str_digits():,} digits"
        raise ScenarioError(
            f"not valid YAML: {problem}", source=source, fix="write a shorter number"
        ) from None


def _load_with(loader_cls: Any, text: str, source: str) -> tuple[yaml.Node | None, Any]:
    """Compose the node tree (for line numbers), check it, and construct the data from it:
    one parse for both."""
    loader = loader_cls(text)
    try:
        node = loader.get_single_node()
        _check_duplicates(node, source)
        return node, (None if node is None else loader.construct_document(node))
    finally:
        loader.dispose()


def _parse(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    """The node tree and the data of YAML text, with the C parser (libyaml) where PyYAML
    has it (about ten times faster); any error is re-parsed with the pure-Python parser,
    whose messages name the place, so the words never depend on the parser."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return _load_with(fast, text, source)
        except (yaml.YAMLError, ValueError, RecursionError):
            pass
    result: tuple[yaml.Node | None, Any] = _yaml(
        lambda: _load_with(yaml.SafeLoader, text, source), source
    )
    return result


MAX_NODES = 200_000


def _check_duplicates(node: yaml.Node | None, source: str) -> None:
    """Reject duplicate keys, recursive aliases and alias bombs (too many expanded nodes)."""
    budget = [MAX_NODES]

    def walk(node: yaml.Node | None, path: set[int]) -> None:
        if node is None:
            return
        budget[0] -= 1
        where = f"line {node.start_mark.line + 1}"
        if budget[0] < 0:
            raise ScenarioError(
                f"the YAML has more than {MAX_NODES:,} nodes (counting what aliases expand to)",
                source=source,
                where=where,
                fix="split the file, or do not nest aliases",
            )
        if id(node) in path:
            raise ScenarioError(
                "an alias refers to a node that contains it (a cycle)",
                source=source,
                where=where,
                fix="remove the recursive alias",
            )
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            inner = path | {id(node)}
            for k, v in node.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else id(k)
                if key in seen:
                    raise ScenarioError(
                        f"key {key!r} appears twice in the same mapping "
                        f"(first at line {seen[key]})",
                        source=source,
                        where=f"line {k.start_mark.line + 1}",
                        fix="keep one of the two entries",
                    )
                seen[key] = k.start_mark.line + 1
                walk(k, inner)
                walk(v, inner)
        elif isinstance(node, yaml.SequenceNode):
            inner = path | {id(node)}
            for v in node.value:
                walk(v, inner)

    _yaml(lambda: walk(node, set()), source)


def _node_at(
    root: yaml.Node | None,
    loc: Sequence[int | str],
    keys: dict[int, dict[str, yaml.Node]] | None = None,
) -> yaml.Node | None:
    """The deepest node along ``loc``; ``keys`` caches each mapping's key index, so
    locating many errors in one large mapping takes linear, not quadratic, time."""
    node = root
    last = root
    keys = {} if keys is None else keys
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            index = keys.get(id(node))
            if index is None:
                index = {}
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode):
                        index.setdefault(k.value, v)
                keys[id(node)] = index
            node = index.get(str(part))
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part] if 0 <= part < len(node.value) else None
        else:
            node = None
        if node is None:
            break
        last = node
    return last


def _describe_loc(data: Any, loc: Sequence[int | str]) -> str:
    """``actors[1] (id: usa).positions.nuclear.salience`` from a pydantic loc."""
    out = ""
    cur = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            if isinstance(cur, list) and 0 <= part < len(cur):
                cur = cur[part]
                if isinstance(cur, dict) and "id" in cur:
                    out += f" (id: {cur['id']})"
            else:
                cur = None
        else:
            out += ("." if out else "") + str(part)
            cur = cur.get(part) if isinstance(cur, dict) else None
    return out or "top level"


_FIXES = {
    "missing": "add this field",
    "extra_forbidden": "remove it, or check its spelling against `backchannel schema`",
    "float_parsing": "write a plain number",
    "float_type": "write a plain number",
    "string_pattern_mismatch": "ids start with a letter and use letters, digits, _ - .",
    "literal_error": "use one of the allowed values",
    "enum": "use one of the allowed values",
    "too_short": "add at least one entry",
    "model_type": "write a mapping here (`key: value` entries; see `backchannel schema`)",
    "dict_type": "write a mapping here (`key: value` entries)",
    "list_type": "write a list here (entries starting with '- ')",
}


_VALUE_FIXES: list[tuple[str, str]] = [
    ("salience must lie in 0-100", "write a salience between 0 and 100"),
    ("must be a finite number", "replace it with a finite number (not .nan or .inf)"),
    ("expected a number", "write a plain number, without units or words"),
    ("needs 'parent'", "add `parent: <id of the party it belongs to>`"),
    ("cannot hold a veto", "remove `veto: true`, or make the actor a state"),
    ("has no parent", "remove `parent`, or make the actor a faction, party or electorate"),
    ("linkage condition", "e.g. `when: {issue: nuclear, at_most: 50}`"),
    ("rule 'quota' needs", "add `quota: 0.5` (a share of the members' weight)"),
    ("rule 'double_majority' needs", "add `quota: 0.55` and `second_quota: 0.65`"),
    ("lies outside the scale", "move it inside the scale, or widen the scale"),
]


def validation_errors(
    exc: ValidationError, data: Any, root: yaml.Node | None, source: str
) -> ManyErrors:
    """Turn a pydantic ValidationError into errors that name line and field."""
    errors: list[InputError] = []
    keys: dict[int, dict[str, yaml.Node]] = {}

    def add(loc: Sequence[int | str], msg: str, fix: str, missing: bool = False) -> None:
        node = _node_at(root, [p for p in loc if not (missing and p == loc[-1])], keys)
        where = _describe_loc(data, loc)
        if node is not None:
            where = f"line {node.start_mark.line + 1}, {where}"
        errors.append(ScenarioError(msg, source=source, where=where, fix=fix))

    for err in exc.errors(include_url=False):
        if err["type"] == "references":  # cross-references: every problem, each placed
            for p in err["ctx"]["problems"]:
                add(_present(data, p["loc"]), p["msg"], p["fix"])
            continue
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        # pydantic adds union/validator tags to loc; keep only keys present in the data
        clean: list[int | str] = []
        cur = data
        for part in loc:
            if isinstance(cur, dict) and isinstance(part, str) and part in cur:
                clean.append(part)
                cur = cur[part]
            elif isinstance(cur, list) and isinstance(part, int):
                clean.append(part)
                cur = cur[part] if 0 <= part < len(cur) else None
            elif isinstance(part, str) and err["type"] == "missing" and part == loc[-1]:
                clean.append(part)
        msg = str(err["msg"]).removeprefix("Value error, ")
        fix = _FIXES.get(str(err["type"]), "correct the value as the message says")
        fix = next((f for key, f in _VALUE_FIXES if key in msg), fix)
        missing = err["type"] == "missing"
        if missing:
            msg = f"required field {str(loc[-1])!r} is missing"
        elif err["type"] == "extra_forbidden" and loc:
            msg = f"unknown field {str(loc[-1])!r}"
        add(clean, msg, fix, missing)
    return ManyErrors(errors)


def _present(data: Any, loc: Sequence[int | str]) -> list[int | str]:
    """The longest prefix of ``loc`` present in ``data`` (a field may be absent)."""
    present: list[int | str] = []
    cur: Any = data
    for step in loc:
        if isinstance(cur, dict) and step in cur:
            cur = cur[step]
        elif isinstance(cur, list) and isinstance(step, int) and 0 <= step < len(cur):
            cur = cur[step]
        else:
            break
        present.append(step)
    return present


# -- public API ------------------------------------------------------------------------------
def read_text(path: Path, *, max_bytes: int = MAX_BYTES) -> str:
    """Read a user file as UTF-8 text with a size limit and clear errors."""
    source = str(path)
    if not path.exists():
        raise InputError(
            "file not found",
            source=source,
            fix="check the path, or run `backchannel scenarios` or `backchannel cases` for names",
        )
    if path.is_dir():
        raise InputError("is a folder, not a file", source=source, fix="name a file")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            f"file is {size:,} bytes, over the {max_bytes:,}-byte limit",
            source=source,
            fix="split it, or check that this is the file you meant",
        )
    raw = path.read_bytes()
    if b"\x00" in raw[:8192]:
        raise InputError(
            "looks like a binary file, not text", source=source, fix="give a YAML or CSV text file"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"not UTF-8 text (bad byte at offset {exc.start})",
            source=source,
            where=f"line {line}",
            fix="save the file as UTF-8",
        ) from None


def parse_scenario(text: str, source: str = "<text>") -> Scenario:
    """Parse and validate scenario YAML text."""
    if not text.strip():
        raise ScenarioError(
            "the file is empty", source=source, fix="write a scenario (see `backchannel schema`)"
        )
    root, data = _parse(text, source)
    if not isinstance(data, dict):
        raise ScenarioError(
            f"expected a mapping at the top level, got {type(data).__name__}",
            source=source,
            where="line 1",
            fix="start the file with `name: ...`, then `issues:` and `actors:`",
        )
    return scenario_from_data(data, source, root)


def scenario_from_data(
    data: dict[str, Any], source: str = "<data>", root: yaml.Node | None = None
) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise validation_errors(exc, data, root, source) from None


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario from a YAML file, or an embedded scenario or coded case by name
    (``iran_us_2019``, ``colombia_plebiscite_2016``)."""
    p = Path(path)
    if not p.exists() and str(path) in embedded_names():
        return load_embedded(str(path))
    if not p.exists() and str(path) in case_names():
        return load_case(str(path))
    return parse_scenario(read_text(p), str(p))


def _names(package: str) -> list[str]:
    files = resources.files(package)
    return sorted(f.name.removesuffix(".yaml") for f in files.iterdir() if f.name.endswith(".yaml"))


def embedded_names() -> list[str]:
    return _names(EMBEDDED_PACKAGE)


def case_names() -> list[str]:
    """The coded historical cases shipped with the package (``backchannel cases``)."""
    return _names(CASES_PACKAGE)


def load_case(name: str) -> Scenario:
    if name not in case_names():
        raise InputError(
            f"no coded case named {name!r}",
            source="<cases>",
            fix="run `backchannel cases` for the list",
        )
    text = resources.files(CASES_PACKAGE).joinpath(f"{name}.yaml").read_text("utf-8")
    return parse_scenario(text, f"<case:{name}>")


def load_embedded(name: str = DEFAULT_SCENARIO) -> Scenario:
    if name not in embedded_names():
        raise InputError(
            f"no embedded scenario named {name!r}",
            source="<embedded>",
            fix=f"use one of {embedded_names()}",
        )
    text = resources.files(EMBEDDED_PACKAGE).joinpath(f"{name}.yaml").read_text("utf-8")
    return parse_scenario(text, f"<embedded:{name}>")


def scenario_to_yaml(scenario: Scenario) -> str:
    """Serialise a scenario to YAML (quantities without notes or uncertainty as numbers)."""
    data = json.loads(scenario.model_dump_json(exclude_none=True, exclude_defaults=True))

    def simplify(x: Any) -> Any:
        if isinstance(x, dict):
            if set(x) == {"value"}:
                return x["value"]
            return {k: simplify(v) for k, v in x.items()}
        if isinstance(x, list):
            return [simplify(v) for v in x]
        return x

    return yaml.safe_dump(simplify(data), sort_keys=False, allow_unicode=True, width=100)


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # read once at import: os.umask is process-wide, not thread-safe


def new_file_mode(p: Path) -> int:
    """The mode a file written in place of ``p`` should get: ``p``'s own if it exists,
    else what an ordinary new file gets under this process's umask (mkstemp makes 0600)."""
    return p.stat().st_mode & 0o777 if p.exists() else 0o666 & ~_UMASK


def atomic_write(path: str | Path, text: str) -> None:
    """Write a file atomically: a failed write leaves any earlier file intact."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        os.fchmod(fd, new_file_mode(p))
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
