"""Finds plugins through the `teamcast` entry-point group, survives broken ones, and checks their output.

Every plugin, built-in or not, is an entry point: the manager loads them one by one (a
plugin that fails to import or implements a misspelled hook becomes a `LoadFailure`, the
others still load), calls each plugin's `register_*` hooks once, and keeps the records in a
`Registry` cached per process. The `checked_*` functions are how the simulation calls
plugin code: they turn an exception or a bad array into a `PluginError` that names the
distribution, its version and the hook.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pluggy

from teamcast.errors import PluginError, UsageError
from teamcast.plugins import hookspecs
from teamcast.plugins.records import (
    DurationModel,
    HealthCheck,
    LoadFailure,
    PluginInfo,
    PriorityContext,
    PriorityRule,
    ReportSection,
    SampleContext,
    SampleModifier,
    Search,
    SuccessModel,
)

if TYPE_CHECKING:
    import click
    import polars as pl

GROUP = "teamcast"
BUILTIN_DIST = "teamcast"
DISABLE_ENV = "TEAMCAST_DISABLE_PLUGINS"
LOAD_ENV = "TEAMCAST_LOAD_PLUGINS"


@dataclass(frozen=True)
class Kind:
    """One kind of record a plugin can register, with the hook that registers it."""

    key: str
    hook: str
    record: type[Any]
    label: str


KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind("duration_model", "register_duration_models", DurationModel, "duration model"),
        Kind("success_model", "register_success_models", SuccessModel, "success model"),
        Kind("sample_modifier", "register_sample_modifiers", SampleModifier, "sample modifier"),
        Kind("priority_rule", "register_priority_rules", PriorityRule, "priority rule"),
        Kind("report_section", "register_report_sections", ReportSection, "report section"),
        Kind("check", "register_checks", HealthCheck, "health check"),
        Kind("search_method", "register_searches", Search, "search"),
    )
}


@dataclass
class Registry:
    """Everything the loaded plugins registered, by kind and name, plus what failed to load."""

    duration_models: dict[str, DurationModel] = field(default_factory=dict)
    success_models: dict[str, SuccessModel] = field(default_factory=dict)
    sample_modifiers: dict[str, SampleModifier] = field(default_factory=dict)
    priority_rules: dict[str, PriorityRule] = field(default_factory=dict)
    report_sections: dict[str, ReportSection] = field(default_factory=dict)
    checks: dict[str, HealthCheck] = field(default_factory=dict)
    search_methods: dict[str, Search] = field(default_factory=dict)
    plugins: list[PluginInfo] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)
    # (kind, name) claimed by more than one plugin: unusable until all but one are disabled.
    clashes: dict[tuple[str, str], list[PluginInfo]] = field(default_factory=dict)

    def records(self, kind: str) -> dict[str, Any]:
        return getattr(self, f"{KINDS[kind].key}s")

    def get(self, kind: str, name: str) -> Any:
        """The record `name` of `kind`; a PluginError when the name is unknown or claimed twice."""
        records = self.records(kind)
        if name in records:
            return records[name]
        label = KINDS[kind].label
        if (kind, name) in self.clashes:
            owners = " and ".join(info.label for info in self.clashes[(kind, name)])
            names = ",".join(info.name for info in self.clashes[(kind, name)][1:])
            raise PluginError(
                f"{label} '{name}' is registered by both {owners}; disable one, e.g. {DISABLE_ENV}={names}"
            )
        known = ", ".join(sorted(records)) or "none"
        hint = f"; {len(self.failures)} plugin(s) failed to load, see `teamcast plugins`" if self.failures else ""
        raise PluginError(f"unknown {label} '{name}' (known: {known}){hint}")

    def duration_model(self, name: str) -> DurationModel:
        return self.get("duration_model", name)

    def success_model(self, name: str) -> SuccessModel:
        return self.get("success_model", name)

    def sample_modifier(self, name: str) -> SampleModifier:
        return self.get("sample_modifier", name)

    def priority_rule(self, name: str) -> PriorityRule:
        return self.get("priority_rule", name)

    def search(self, name: str) -> Search:
        return self.get("search_method", name)

    def owner(self, kind: str, name: str) -> PluginInfo:
        """The plugin that registered `name` of `kind`."""
        return self.get(kind, name).plugin

    def provided(self, plugin: str) -> dict[str, list[str]]:
        """What the plugin named `plugin` registered, by kind (only kinds it registered)."""
        out: dict[str, list[str]] = {}
        for kind in KINDS:
            names = [n for n, r in self.records(kind).items() if r.plugin and r.plugin.name == plugin]
            names += [n for (k, n), infos in self.clashes.items() if k == kind and plugin in {i.name for i in infos}]
            if names:
                out[kind] = sorted(names)
        return out


# --- loading ------------------------------------------------------------------------------

_pm: pluggy.PluginManager | None = None
_infos: dict[str, PluginInfo] = {}  # plugin name -> info, for plugins loaded from entry points
_load_failures: list[LoadFailure] = []
_registry: Registry | None = None
_lock = threading.RLock()  # TUI workers may ask for the registry while it is first built


def get_plugin_manager() -> pluggy.PluginManager:
    """The process's plugin manager, with the entry points loaded on first use.

    Tests may `register(plugin, name=...)` an object inline and `unregister(name=...)` it;
    call `get_registry(refresh=True)` after either.
    """
    global _pm
    with _lock:
        if _pm is None:
            _pm = pluggy.PluginManager(GROUP)
            _pm.add_hookspecs(hookspecs)
            _load_entry_points(_pm)
        return _pm


def get_registry(*, refresh: bool = False) -> Registry:
    """What the plugins registered; cached per process. `refresh` re-reads the entry points
    (and the TEAMCAST_* variables) and calls every plugin's hooks again."""
    global _registry
    with _lock:
        if _registry is None or refresh:
            pm = get_plugin_manager()
            if refresh and _registry is not None:
                _load_entry_points(pm)
            _registry = _collect(pm)
        return _registry


def _names(value: str) -> set[str]:
    return {_canonical(v) for v in value.split(",") if v.strip()}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def _wanted(entry_point: importlib.metadata.EntryPoint, dist: str) -> bool:
    """Applies TEAMCAST_DISABLE_PLUGINS and TEAMCAST_LOAD_PLUGINS (names of entry points or distributions)."""
    names = {_canonical(entry_point.name), _canonical(dist)}
    if names & _names(os.environ.get(DISABLE_ENV, "")):
        return False
    only = os.environ.get(LOAD_ENV)
    # Like llm and datasette: the allow-list restricts third-party plugins; built-ins always load.
    if only is None or _canonical(dist) == BUILTIN_DIST:
        return True
    return bool(names & _names(only))


def _dist_of(entry_point: importlib.metadata.EntryPoint) -> tuple[str, str]:
    dist = entry_point.dist
    if dist is None:
        return "", ""
    return dist.metadata["Name"] or "", dist.version or ""


def _entry_points() -> list[tuple[importlib.metadata.EntryPoint, str, str]]:
    """The group's entry points, built-ins first (they win name clashes), then by distribution and name."""
    found = [(ep, *_dist_of(ep)) for ep in importlib.metadata.entry_points(group=GROUP)]
    return sorted(found, key=lambda e: (_canonical(e[1]) != BUILTIN_DIST, _canonical(e[1]), e[0].name))


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    """(Re)loads every wanted entry point one by one; plugins registered inline are kept."""
    for name in list(_infos):
        if pm.get_plugin(name) is not None:
            pm.unregister(name=name)
    _infos.clear()
    _load_failures.clear()
    for entry_point, dist, version in _entry_points():
        if not _wanted(entry_point, dist):
            continue
        try:
            _register_one(pm, entry_point, dist, version)
        except _LoadError as exc:
            _load_failures.append(LoadFailure(entry_point.name, dist, version, str(exc)))


# What plugin code may raise that must not end the process as if it succeeded or was asked to
# stop: sys.exit(0) inside a hook would make a failing `simulate --fail-if` gate exit 0.
GUEST_ERRORS: tuple[type[BaseException], ...] = (Exception, SystemExit, KeyboardInterrupt)


# How long one call into plugin code (an import, a sample, a priority rule...) may take before the
# command fails instead of hanging: teamcast's default, set with TEAMCAST_PLUGIN_TIMEOUT (seconds;
# 0 turns it off). A whole run of a 20,000-task plan samples a block in well under a second.
DEFAULT_TIMEOUT_S = 120.0


def plugin_timeout() -> float | None:
    """Seconds one call into plugin code may take (None: no limit)."""
    raw = os.environ.get("TEAMCAST_PLUGIN_TIMEOUT", "").strip()
    try:
        seconds = float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        raise UsageError(f"TEAMCAST_PLUGIN_TIMEOUT={raw!r}: expected a number of seconds (0 for no limit)") from None
    return seconds if seconds > 0 else None


class _Slow(BaseException):  # not an Exception: a plugin's own `except Exception` cannot swallow it
    """A call into plugin code that did not return within plugin_timeout()."""


def _guest(seconds: float | None, fn: Callable[..., Any], *args: Any) -> Any:
    """fn(*args) under a time limit (`seconds`, from plugin_timeout()): a plugin that never returns
    fails the command with _Slow instead of hanging it.

    The limit is an interval timer (SIGALRM), which costs a few system calls per call: it applies
    in the main thread of a POSIX process, which is where commands run. In the app's worker threads
    there is no limit; the user cancels a run there with a key.
    """
    if seconds is None or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        return fn(*args)

    def expired(signum: int, frame: object) -> None:
        raise _Slow(f"no answer within {seconds:g} s (TEAMCAST_PLUGIN_TIMEOUT)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


LOAD_ERRORS: tuple[type[BaseException], ...] = (*GUEST_ERRORS, _Slow)


class _LoadError(Exception):
    """Why one entry point could not be registered; becomes a LoadFailure."""


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _register_one(pm: pluggy.PluginManager, entry_point, dist: str, version: str) -> None:
    seconds = plugin_timeout()  # a bad setting is the user's error, not the plugin's
    try:
        plugin = _guest(seconds, entry_point.load)
    except LOAD_ERRORS as exc:  # a broken or hanging plugin must not take the others down
        raise _LoadError(f"cannot import {entry_point.value}: {_one_line(exc)}") from exc
    if pm.get_plugin(entry_point.name) is not None:
        raise _LoadError(f"another plugin is already named '{entry_point.name}'")
    if pm.is_registered(plugin):
        raise _LoadError(f"{entry_point.value} is already registered as '{pm.get_name(plugin)}'")
    try:
        pm.register(plugin, name=entry_point.name)
    except Exception as exc:
        raise _LoadError(_one_line(exc)) from exc
    unknown = sorted(c.name for c in pm.get_hookcallers(plugin) or [] if not c.has_spec())
    if unknown:
        pm.unregister(plugin)
        known = ", ".join(sorted(n for n in dir(hookspecs) if n.startswith("register_")))
        raise _LoadError(f"unknown hook {', '.join(map(repr, unknown))} (teamcast hooks: {known})")
    _infos[entry_point.name] = PluginInfo(entry_point.name, dist, version, entry_point.value, _hooks(pm, plugin))


def _hooks(pm: pluggy.PluginManager, plugin: object) -> list[str]:
    return sorted(c.name for c in pm.get_hookcallers(plugin) or [])


def _info(pm: pluggy.PluginManager, name: str, plugin: object) -> PluginInfo:
    if name in _infos:
        return _infos[name]
    module = getattr(plugin, "__name__", None) or type(plugin).__module__
    return PluginInfo(name, "", "", module, _hooks(pm, plugin))


def _collect(pm: pluggy.PluginManager) -> Registry:
    """Calls every plugin's register_* hooks in load order and files the records."""
    registry = Registry(failures=list(_load_failures))
    infos = [_info(pm, name, plugin) for name, plugin in pm.list_name_plugin() if plugin is not None]
    registry.plugins = infos
    for kind in KINDS.values():
        impls = {impl.plugin_name: impl for impl in getattr(pm.hook, kind.hook).get_hookimpls()}
        for info in infos:
            if info.name in impls:
                _collect_one(registry, kind, info, impls[info.name])
    return registry


def _collect_one(registry: Registry, kind: Kind, info: PluginInfo, impl: pluggy.HookImpl) -> None:
    found: list[Any] = []

    def register(record: Any) -> None:
        if not isinstance(record, kind.record):
            raise TypeError(f"register() got {type(record).__name__}, expected {kind.record.__name__}")
        found.append(replace(record, plugin=info))

    try:
        impl.function(*[{"register": register}[arg] for arg in impl.argnames])
    except GUEST_ERRORS as exc:
        registry.failures.append(LoadFailure(info.name, info.dist, info.version, f"{kind.hook}: {_one_line(exc)}"))
        return
    records = registry.records(kind.key)
    for record in found:
        key = (kind.key, record.name)
        if key in registry.clashes:
            registry.clashes[key].append(info)
        elif record.name in records:
            first = records.pop(record.name).plugin
            registry.clashes[key] = [first, info]
        else:
            records[record.name] = record
            continue
        registry.failures.append(
            LoadFailure(
                info.name,
                info.dist,
                info.version,
                f"{kind.hook}: {kind.label} '{record.name}' is already registered by "
                f"{registry.clashes[key][0].label}; the name is unusable until one is disabled",
            )
        )


def register_commands(cli: click.Group) -> list[LoadFailure]:
    """Lets every plugin add commands to `cli`; a plugin that raises is skipped and returned.

    Plugins are guests: the commands `cli` has before they run (teamcast's own) cannot be
    replaced or removed. A clash is a failure naming the plugin; the built-in command stays.
    """
    pm = get_plugin_manager()
    failures = []
    builtin = dict(cli.commands)
    callbacks = {name: command.callback for name, command in builtin.items()}
    for impl in pm.hook.register_commands.get_hookimpls():
        info = _info(pm, impl.plugin_name, impl.plugin)
        try:
            impl.function(*[{"cli": cli}[arg] for arg in impl.argnames])
        except GUEST_ERRORS as exc:
            failures.append(LoadFailure(info.name, info.dist, info.version, f"register_commands: {_one_line(exc)}"))
        for name, command in builtin.items():
            if cli.commands.get(name) is not command or command.callback is not callbacks[name]:
                cli.commands[name] = command
                command.callback = callbacks[name]
                failures.append(
                    LoadFailure(
                        info.name,
                        info.dist,
                        info.version,
                        f"register_commands: '{name}' is a built-in command; the plugin's version is ignored",
                    )
                )
    return failures


# --- checking plugin output ----------------------------------------------------------------


def _fail(record: Any, kind: str, message: str) -> PluginError:
    spec = KINDS[kind]
    short = spec.label.removeprefix("duration ")  # "(model 'gamma')" reads better than "(duration model ...)"
    plugin = record.plugin.label if record.plugin else None
    return PluginError(message, plugin=plugin, hook=f"{spec.hook} ({short} '{record.name}')")


def _call(
    record: Any, kind: str, fn: Callable[..., Any], *args: Any, let_through: tuple[type[BaseException], ...] = ()
) -> Any:
    seconds = plugin_timeout()  # a bad setting is the user's error, not the plugin's
    try:
        return _guest(seconds, fn, *args)
    except let_through:
        raise
    except PluginError:
        raise
    except _Slow as exc:
        raise _fail(record, kind, str(exc)) from None
    except ValueError as exc:
        # ValueError is how a model reports bad task data; its message is written for users.
        message = str(exc).strip().splitlines()
        raise _fail(record, kind, message[0] if message else "ValueError") from exc
    except GUEST_ERRORS as exc:
        raise _fail(record, kind, f"raised {_one_line(exc)}") from exc


def _task_ids(tasks: pl.DataFrame | None, k: int) -> list[str]:
    if tasks is not None and "id" in tasks.columns:
        return tasks["id"].to_list()
    return [f"#{j}" for j in range(k)]


def _as_block(record: Any, kind: str, out: Any, shape: tuple[int, int]) -> np.ndarray:
    array = np.asarray(out)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise _fail(record, kind, f"returned dtype {array.dtype}, expected numbers")
    if array.shape != shape:
        raise _fail(record, kind, f"returned shape {array.shape}, expected {shape}")
    return array


def _check_efforts(record: Any, kind: str, out: Any, shape: tuple[int, int], tasks: pl.DataFrame | None) -> np.ndarray:
    """Casts to a C-contiguous float64 (n, k) block; NaN, negative or infinite values are errors."""
    effort = np.ascontiguousarray(_as_block(record, kind, out, shape), dtype=np.float64)
    if effort.size == 0:
        return effort
    # Two reductions and no temporary: min is NaN if any value is NaN.
    low, high = effort.min(), effort.max()
    if np.isnan(low) or low < 0 or high == np.inf:
        ids = _task_ids(tasks, shape[1])
        for what, bad in (
            ("NaN", np.isnan(effort)),
            ("a negative effort", effort < 0),
            ("an infinite effort", np.isinf(effort)),
        ):
            if bad.any():
                column = int(np.flatnonzero(bad.any(axis=0))[0])
                count = f"{int(bad.sum())} of {bad.size} values"
                raise _fail(record, kind, f"returned {what} for task '{ids[column]}' ({count})")
    return effort


def checked_sample(model: DurationModel, tasks: pl.DataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    """`model.sample(tasks, n, rng)` as a validated C-contiguous float64 (n, k) array."""
    out = _call(model, "duration_model", model.sample, tasks, n, rng)
    return _check_efforts(model, "duration_model", out, (n, tasks.height), tasks)


def checked_values(model: DurationModel, fn_name: str, tasks: pl.DataFrame, *args: Any) -> np.ndarray:
    """`model.<fn_name>(tasks, *args)` (mean, point, cdf or quantile), wrapped like a sample:
    an exception or a NaN, negative or infinite value becomes a PluginError naming the plugin."""
    fn = getattr(model, fn_name)
    out = np.asarray(_call(model, "duration_model", fn, tasks, *args), dtype=np.float64)
    shape = args[0].shape if args else (tasks.height,)
    if out.shape != tuple(shape):
        raise _fail(model, "duration_model", f"{fn_name} returned shape {out.shape}, expected {tuple(shape)}")
    block = out.reshape(-1, tasks.height) if out.size else out.reshape(0, tasks.height)
    return _check_efforts(model, "duration_model", block, block.shape, tasks).reshape(out.shape)


def checked_success(model: SuccessModel, tasks: pl.DataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    """`model.sample(tasks, n, rng)` as a C-contiguous uint8 (n, k) array of 0/1."""
    out = _call(model, "success_model", model.sample, tasks, n, rng)
    out = _as_block(model, "success_model", out, (n, tasks.height))
    if out.dtype != np.bool_ and out.size and not np.isin(out, (0, 1)).all():
        raise _fail(model, "success_model", "returned values other than 0/1 or True/False")
    return np.ascontiguousarray(out, dtype=np.uint8)


def checked_section(section: ReportSection, ctx: Any) -> str:
    """`section.render(ctx)` as markdown text; a PluginError naming the plugin when it fails."""
    out = _call(section, "report_section", section.render, ctx)
    if not isinstance(out, str):
        raise _fail(section, "report_section", f"returned {type(out).__name__}, expected markdown text (str)")
    return out


def check_modifier_options(mod: SampleModifier, options: dict[str, str]) -> None:
    """UsageError naming the valid options when `options` holds one the modifier does not declare."""
    if mod.options is None:
        return
    exact = {o for o in mod.options if not o.endswith("*")}
    prefixes = tuple(o[:-1] for o in mod.options if o.endswith("*"))
    unknown = [k for k in options if k not in exact and not (prefixes and k.startswith(prefixes))]
    if unknown:
        valid = ", ".join(o.replace("*", "<kind>") for o in mod.options) or "none"
        raise UsageError(f"modifier {mod.name!r} has no option {unknown[0]!r}; its options: {valid}")


def checked_modify(mod: SampleModifier, ctx: SampleContext, effort: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`mod.apply(ctx, effort, rng)` validated like a duration model's sample."""
    out = _call(mod, "sample_modifier", mod.apply, ctx, effort, rng)
    return _check_efforts(mod, "sample_modifier", out, effort.shape, ctx.tasks)


def checked_order(rule: PriorityRule, ctx: PriorityContext) -> np.ndarray:
    """`rule.order(ctx)` as an int32 permutation of range(T)."""
    count = ctx.tasks.height
    order = np.asarray(_call(rule, "priority_rule", rule.order, ctx))
    if order.shape != (count,) or not (np.issubdtype(order.dtype, np.integer) or count == 0):
        found = f"shape {order.shape} dtype {order.dtype}"
        raise _fail(rule, "priority_rule", f"returned {found}, expected ({count},) integers")
    if not _is_permutation(order, count):
        raise _fail(rule, "priority_rule", f"returned an order that is not a permutation of the {count} task indices")
    return np.ascontiguousarray(order, dtype=np.int32)


def checked_approach_order(rule: PriorityRule, ctx: PriorityContext) -> dict[str, np.ndarray]:
    """`rule.approach_order(ctx)`, each value an int32 permutation of that challenge's approaches
    ({} when the rule keeps the listed orders)."""
    if rule.approach_order is None:
        return {}
    listed = dict(zip(ctx.challenges["id"].to_list(), ctx.approaches(), strict=True))
    out = _call(rule, "priority_rule", rule.approach_order, ctx)
    orders = {}
    for challenge, given in dict(out).items():
        given = np.asarray(given)
        if challenge not in listed:
            raise _fail(rule, "priority_rule", f"returned an approach order for unknown challenge '{challenge}'")
        if given.shape != listed[challenge].shape or sorted(given.tolist()) != sorted(listed[challenge].tolist()):
            problem = f"an approach order for challenge '{challenge}' that is not a permutation of its approaches"
            raise _fail(rule, "priority_rule", f"returned {problem}")
        orders[challenge] = np.ascontiguousarray(given, dtype=np.int32)
    return orders


def _is_permutation(order: np.ndarray, count: int) -> bool:
    if count == 0:
        return order.size == 0
    if order.min() < 0 or order.max() >= count:
        return False
    return bool((np.bincount(order, minlength=count) == 1).all())


def plugins_summary(registry: Registry) -> list[dict[str, Any]]:
    """One JSON-ready dict per plugin: name, dist, version, module, hooks, and what it provides."""
    return [
        {
            "name": info.name,
            "dist": info.dist,
            "version": info.version,
            "module": info.module,
            "hooks": info.hooks,
            "provides": registry.provided(info.name),
        }
        for info in registry.plugins
    ]


def checked_search(search: Search, ctx: Any) -> None:
    """`search.run(ctx)`; an exception in plugin code becomes a PluginError naming the plugin
    (KeyboardInterrupt passes through: the optimiser keeps the best found so far)."""
    _call(search, "search_method", search.run, ctx, let_through=(KeyboardInterrupt,))
