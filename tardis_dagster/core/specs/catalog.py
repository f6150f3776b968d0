"""Load every spec under the given paths into a catalog of valid products plus all problems found."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from tardis_dagster.core.specs.errors import translate
from tardis_dagster.core.specs.file_reading import UnreadableFileError, read_capped
from tardis_dagster.core.specs.model import DataProduct, GlobalModel
from tardis_dagster.core.specs.paths import leaves_through_symlink
from tardis_dagster.core.specs.problems import Problem
from tardis_dagster.core.specs.rules import TextFiles, check_catalog, check_model, check_product
from tardis_dagster.core.specs.specfile import SpecFile
from tardis_dagster.core.specs.yaml_source import YamlSyntaxError, parse_yaml

MODEL_FILE_NAMES = ("_model.yaml", "_model.yml")
SPEC_SUFFIXES = (".yaml", ".yml")
MAX_SPEC_BYTES = 1_000_000
DEFAULT_SPEC_ROOT = Path("product_specs")


@dataclass
class SpecCatalog:
    """All specs found: the valid products (sorted by name), the global model and every problem."""

    products: list[DataProduct]
    model: GlobalModel | None
    problems: list[Problem]
    _by_name: dict[str, DataProduct] = field(default_factory=dict, init=False, repr=False)

    def by_name(self, name: str) -> DataProduct:
        """The valid product called ``name``; raises KeyError when there is none."""
        if len(self._by_name) != len(self.products):
            self._by_name = {product.name: product for product in self.products}
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no valid data product named {name!r}") from None

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def summary(self) -> str:
        """One line such as ``9 products, 4 hubs, 3 links``."""
        hubs = len(self.model.hubs) if self.model else 0
        links = len(self.model.links) if self.model else 0
        return f"{len(self.products)} products, {hubs} hubs, {links} links"


def load_catalog(paths: Iterable[Path | str] | Path | str = (DEFAULT_SPEC_ROOT,)) -> SpecCatalog:
    """Load specs from files and/or folders (searched recursively); never raises on bad input.

    `_model.yaml` in any given folder is the global model. Files given one by one are checked in
    the context of their spec tree (the nearest folder above them holding `_model.yaml`): the
    other specs there are loaded too, so references and unique names are checked, but only the
    given files' problems (and the model's) are reported. Hidden folders (`.schema/`) are skipped.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    return _load([Path(path) for path in paths])


def _load(paths: list[Path]) -> SpecCatalog:
    found = _discover(paths)
    files = TextFiles()
    model_spec = _load_model(found.models, found.problems)
    roots = _Roots(found, paths)
    # Context first, so that a duplicate name is reported on the file the user asked about.
    specs = [_load_spec(path, files, focus=False, root=roots.of(path)) for path in found.context]
    specs += [_load_spec(path, files, focus=True, root=roots.of(path)) for path in found.specs]
    model_display = str(model_spec.path) if model_spec else str(_default_model_path(found.specs))
    try:
        check_catalog(specs, model_spec, model_display)
    except Exception as error:  # a checker bug must not become a traceback; nothing is trusted then
        where = found.specs[0] if found.specs else (found.models or [DEFAULT_SPEC_ROOT])[0]
        message = f"internal error while checking across specs: {type(error).__name__}: {error}"
        found.problems.append(Problem(where, 1, 1, "file", message, "please report it"))
        for spec in specs:
            spec.excluded_because = (message, "please report it", None)
    problems = found.problems
    for spec in specs:
        if not spec.focus:
            continue
        if spec.excluded_because is not None and not spec.problems:
            message, fix, cause = spec.excluded_because
            if cause is not None and not cause.focus:
                # The cause lies in a file outside the ones asked about: say why this one cannot load.
                spec.report(("name",), f"this product cannot be loaded: {message}", fix)
        problems.extend(spec.problems)
    if model_spec is not None:
        problems.extend(model_spec.problems)
    products = sorted(
        (spec.product for spec in specs if spec.valid and spec.product is not None), key=lambda p: p.name
    )
    model = model_spec.model if model_spec is not None and model_spec.valid else None
    problems.sort(key=lambda problem: (str(problem.path), problem.line, problem.col, problem.field))
    return SpecCatalog(products=products, model=model, problems=problems)


@dataclass
class _Found:
    specs: list[Path] = field(default_factory=list)
    models: list[Path] = field(default_factory=list)
    context: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seen: set[Path] = field(default_factory=set)

    def add(self, path: Path, *, context: bool = False) -> None:
        key = Path(os.path.abspath(path))  # noqa: PTH100 - normalise '..' without following symlinks
        if key in self.seen:
            return
        self.seen.add(key)
        if path.name in MODEL_FILE_NAMES:
            self.models.append(path)
        elif context:
            self.context.append(path)
        elif path.name.startswith("_"):
            self.problems.append(
                Problem(
                    path,
                    1,
                    1,
                    "file",
                    "file names starting with '_' are reserved",
                    "rename it; only _model.yaml is special",
                )
            )
        else:
            self.specs.append(path)


class _Roots:
    """The spec tree of each spec: the global model's folder when the spec lies under it, else the
    folder given on the command line that holds it, else the spec's own folder."""

    def __init__(self, found: _Found, paths: list[Path]) -> None:
        models = [*found.models, *(path for path in found.context if path.name in MODEL_FILE_NAMES)]
        candidates = [os.path.abspath(model.parent) for model in models[:1]]  # noqa: PTH100
        candidates += [os.path.abspath(path) for path in paths if path.is_dir()]  # noqa: PTH100
        self._candidates = candidates

    def of(self, spec_path: Path) -> Path:
        absolute = os.path.abspath(spec_path)  # noqa: PTH100 - keep symlinked paths as given
        for folder in self._candidates:
            if absolute.startswith(folder.rstrip(os.sep) + os.sep):
                return Path(folder)
        return Path(os.path.dirname(absolute))  # noqa: PTH120


def _discover(paths: list[Path]) -> _Found:
    found = _Found()
    explicit_files: list[Path] = []
    for path in paths:
        if path.is_dir():
            for spec_path in _walk(path):
                found.add(spec_path)
        elif path.exists():
            explicit_files.append(path)
            found.add(path)
        else:
            found.problems.append(Problem(path, 1, 1, "path", "no such file or folder", "check the path"))
    if explicit_files and not found.models:
        root = _nearest_model_folder(explicit_files[0])
        if root is not None:
            for spec_path in _walk(root):
                if not spec_path.name.startswith("_") or spec_path.name in MODEL_FILE_NAMES:
                    found.add(spec_path, context=True)
    return found


def _walk(folder: Path) -> Iterable[Path]:
    for parent, subfolders, names in os.walk(folder):
        # Hidden folders hold tool output (.schema/, .git/), never specs.
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(names):
            if name.endswith(SPEC_SUFFIXES) and not name.startswith("."):
                yield Path(parent) / name


def _nearest_model_folder(path: Path) -> Path | None:
    folder = path.absolute().parent
    for candidate in (folder, *folder.parents):
        if any((candidate / name).is_file() for name in MODEL_FILE_NAMES):
            # Keep paths relative when the user's were, so problems print the way they typed them.
            return candidate if path.is_absolute() else Path(os.path.relpath(candidate))
    return None


def _default_model_path(spec_paths: list[Path]) -> Path:
    if not spec_paths:
        return DEFAULT_SPEC_ROOT / MODEL_FILE_NAMES[0]
    common = Path(os.path.commonpath([str(path.absolute().parent) for path in spec_paths]))
    for folder in (common, *common.parents):
        if folder.name == DEFAULT_SPEC_ROOT.name:
            return Path(os.path.relpath(folder / MODEL_FILE_NAMES[0]))
    return DEFAULT_SPEC_ROOT / MODEL_FILE_NAMES[0]


def _read(spec: SpecFile) -> str | None:
    """Read and parse the file into ``spec.doc``; report why not and return None when impossible."""
    if spec.root is not None and leaves_through_symlink(spec.path, spec.root):
        # Its content would be quoted in problem lines (CI logs): never read files from elsewhere.
        spec.report(
            (),
            "this spec is a symlink to a file outside the spec folder",
            f"copy the file into {spec.root} instead of linking to it",
        )
        return None
    try:
        raw = read_capped(spec.path, MAX_SPEC_BYTES)
    except UnreadableFileError as error:
        spec.report((), f"cannot read file: it {error.message}", error.fix)
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        col = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        spec.report_at(spec.path, line, col, ("file",), "file is not UTF-8 text", "save it as UTF-8")
        return None
    try:
        spec.doc = parse_yaml(text)
    except YamlSyntaxError as error:
        nearby = "\n".join(text.splitlines()[max(0, error.line - 3) : error.line])
        fix = _yaml_fix(error.message, nearby)
        spec.report_at(
            spec.path, error.line, error.col, ("yaml",), f"YAML syntax error: {error.message}", fix
        )
        return None
    for issue in spec.doc.issues:
        if issue.position is not None:
            spec.report_at(spec.path, *issue.position, issue.loc, issue.message, issue.fix)
        else:
            spec.report(issue.loc, issue.message, issue.fix, at_key=issue.at_key)
    return text


def _yaml_fix(message: str, nearby: str) -> str:
    # `contact: #team` makes the rest of the line a comment, which breaks flow mappings confusingly.
    if re.search(r"[:,\[{][ \t]+#\S", nearby):
        return 'text after " #" is a YAML comment: put values starting with # in quotes, e.g. "#team-data"'
    if "\\t" in message or "tab" in message:
        return "indent with spaces, not tabs"
    if "mapping values are not allowed" in message:
        return "check this line's indentation, or put a value containing ': ' in quotes"
    if "single document" in message:
        return "keep one spec per file (remove the '---' separator)"
    if "alias" in message:
        return "define the anchor (&name) before using *name"
    if "nest" in message:
        return "a spec nests a few levels deep: flatten the structure"
    return "check indentation and quoting around this position"


def _load_spec(path: Path, files: TextFiles, *, focus: bool, root: Path) -> SpecFile:
    spec = SpecFile(path, focus=focus, root=root)
    try:
        if _read(spec) is None:
            return spec
        data = spec.data
        if not _check_top_level(spec, data, "start with apiVersion: tardis/v1 and kind: DataProduct"):
            return spec
        if "kind" not in data and "apiVersion" not in data and ("hubs" in data or "links" in data):
            spec.report((), "this looks like the global model", "name the file _model.yaml")
            return spec
        try:
            product = DataProduct.model_validate(data)
        except ValidationError as error:
            translate(error, spec, DataProduct)
            return spec
        product.spec_path = path
        spec.product = product
        check_product(spec, files)
    except Exception as error:  # one checker bug must not hide the other files' results
        spec.report(
            (),
            f"internal error while checking this file: {type(error).__name__}: {error}",
            "please report it",
        )
        spec.product = None
    if spec.doc is not None:
        spec.doc.release()
    return spec


def _load_model(paths: list[Path], problems: list[Problem]) -> SpecFile | None:
    if not paths:
        return None
    for extra in paths[1:]:
        problems.append(
            Problem(
                extra,
                1,
                1,
                "file",
                f"a second global model (the first is {paths[0]})",
                "keep one _model.yaml",
            )
        )
    spec = SpecFile(paths[0])
    try:
        if _read(spec) is None or not _check_top_level(spec, spec.data, "start with hubs:"):
            return spec
        try:
            model = GlobalModel.model_validate(spec.data)
        except ValidationError as error:
            translate(error, spec, GlobalModel)
            return spec
        model._model_path = Path(os.path.abspath(paths[0]))  # noqa: PTH100 - keep symlinked paths as given
        spec.model = model
        check_model(spec)
    except Exception as error:  # one checker bug must not hide the other files' results
        spec.report(
            (),
            f"internal error while checking this file: {type(error).__name__}: {error}",
            "please report it",
        )
        spec.model = None
    return spec


def _check_top_level(spec: SpecFile, data: object, start_hint: str) -> bool:
    if data is None:
        spec.report((), "file is empty", start_hint)
        return False
    if not isinstance(data, dict):
        found = "a list" if isinstance(data, list) else "a single value"
        spec.report((), f"the file must be a mapping of fields (field: value), found {found}", start_hint)
        return False
    return True
