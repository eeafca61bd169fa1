"""Finds plugins through the `teamcast` entry-point group, survives broken ones, and checks their output.

Every plugin, built-in or not, is an entry point: the manager loads them one by one (a
plugin that fails to import or implements a misspelled hook becomes a `LoadFailure`, the
others still load), calls each plugin's `register_*` hooks once, and keeps the records in a
`Registry` cached per process. Loading is lazy, a kind of record at a time: `validate` asks
for estimators and never imports the health checks. The `checked_*` functions are how the
simulation calls plugin code: they turn an exception or a bad array into a `PluginError` that
names the distribution, its version and the hook.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pluggy

from teamcast.errors import PluginError, UsageError
from teamcast.plugins import discovery, hookspecs
from teamcast.plugins import records as record_types
from teamcast.plugins.discovery import DISABLE_ENV, GROUP
from teamcast.plugins.guests import (
    GUEST_ERRORS,
    LOAD_ERRORS,
    Slow,
    UserInterrupt,
    guest,
    one_line,
    plugin_timeout,
)
from teamcast.plugins.records import (
    DurationModel,
    LoadFailure,
    PluginInfo,
    PriorityContext,
    PriorityRule,
    SampleContext,
    SampleModifier,
    SuccessModel,
)

if TYPE_CHECKING:
    import importlib.metadata

    import click
    import polars as pl

    from teamcast.plugins.command_records import HealthCheck, ReportSection, Search


class Kind:
    """One kind of record a plugin can register, with the hook that registers it (a plain class,
    only read: a frozen dataclass compiles its methods when created, ~0.5 ms of every start-up)."""

    __slots__ = ("key", "hook", "record_name", "label")

    def __init__(self, key: str, hook: str, record_name: str, label: str) -> None:
        self.key = key
        self.hook = hook
        self.record_name = record_name  # the record type's name in teamcast.plugins.records
        self.label = label

    @property
    def record(self) -> type[Any]:
        """The record type; looked up when a plugin registers one, so that the records of report,
        check and optimise are not created for a command that never loads their kinds."""
        record: type[Any] = getattr(record_types, self.record_name)
        return record


KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind("duration_model", "register_duration_models", "DurationModel", "duration model"),
        Kind("success_model", "register_success_models", "SuccessModel", "success model"),
        Kind("sample_modifier", "register_sample_modifiers", "SampleModifier", "sample modifier"),
        Kind("priority_rule", "register_priority_rules", "PriorityRule", "priority rule"),
        Kind("report_section", "register_report_sections", "ReportSection", "report section"),
        Kind("check", "register_checks", "HealthCheck", "health check"),
        Kind("search_method", "register_searches", "Search", "search"),
    )
}


class Registry:
    """Everything the plugins registered, by kind and name, plus what failed to load.

    Filled a kind at a time: the first question about a kind loads the entry points that may
    provide it (every third-party one, and those of teamcast's own that do, see
    teamcast.plugins.discovery.BUILTIN_KINDS) and calls their hooks for that kind. `plugins`,
    `failures` and `provided` are about every plugin, so they load them all.
    """

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self._pm = pm
        self._records: dict[str, dict[str, Any]] = {}
        self._hook_failures: dict[str, list[LoadFailure]] = {}
        # (kind, name) claimed by more than one plugin: unusable until all but one are disabled.
        self.clashes: dict[tuple[str, str], list[PluginInfo]] = {}

    def records(self, kind: str) -> dict[str, Any]:
        spec = KINDS[kind]
        if kind not in self._records:
            with _lock:  # TUI workers may ask while another thread fills the kind
                if kind not in self._records:
                    _load_entry_points(self._pm, frozenset({kind}))
                    self._collect(spec)
        return self._records[kind]

    @property
    def duration_models(self) -> dict[str, DurationModel]:
        return self.records("duration_model")

    @property
    def success_models(self) -> dict[str, SuccessModel]:
        return self.records("success_model")

    @property
    def sample_modifiers(self) -> dict[str, SampleModifier]:
        return self.records("sample_modifier")

    @property
    def priority_rules(self) -> dict[str, PriorityRule]:
        return self.records("priority_rule")

    @property
    def report_sections(self) -> dict[str, ReportSection]:
        return self.records("report_section")

    @property
    def checks(self) -> dict[str, HealthCheck]:
        return self.records("check")

    @property
    def search_methods(self) -> dict[str, Search]:
        return self.records("search_method")

    @property
    def plugins(self) -> list[PluginInfo]:
        """Every loaded plugin, in load order (entry points as discovery.scan lists them, then inline ones)."""
        self._complete()
        return _plugin_infos(self._pm)

    @property
    def failures(self) -> list[LoadFailure]:
        """Entry points that could not be loaded, then hooks that failed or clashed, kind by kind."""
        self._complete()
        loaded = [failure for _, failure in sorted(_load_failures, key=lambda f: f[0])]
        return loaded + [f for kind in KINDS for f in self._hook_failures[kind]]

    def _complete(self) -> None:
        for kind in KINDS:
            self.records(kind)

    def _collect(self, kind: Kind) -> None:
        """Calls every loaded plugin's hook for `kind` in load order and files the records."""
        records: dict[str, Any] = {}
        failures: list[LoadFailure] = []
        impls = {impl.plugin_name: impl for impl in getattr(self._pm.hook, kind.hook).get_hookimpls()}
        for info in _plugin_infos(self._pm):
            if info.name in impls:
                self._collect_one(kind, info, impls[info.name], records, failures)
        self._hook_failures[kind.key] = failures
        self._records[kind.key] = records  # last: another thread sees the kind only when it is whole

    def _collect_one(
        self, kind: Kind, info: PluginInfo, impl: pluggy.HookImpl, records: dict[str, Any], failures: list[LoadFailure]
    ) -> None:
        found: list[Any] = []

        def register(record: Any) -> None:
            if not isinstance(record, kind.record):
                raise TypeError(f"register() got {type(record).__name__}, expected {kind.record.__name__}")
            found.append(replace(record, plugin=info))

        try:
            impl.function(*[{"register": register}[arg] for arg in impl.argnames])
        except GUEST_ERRORS as exc:
            failures.append(LoadFailure(info.name, info.dist, info.version, f"{kind.hook}: {one_line(exc)}"))
            return
        for record in found:
            key = (kind.key, record.name)
            if key in self.clashes:
                self.clashes[key].append(info)
            elif record.name in records:
                first = records.pop(record.name).plugin
                self.clashes[key] = [first, info]
            else:
                records[record.name] = record
                continue
            failures.append(
                LoadFailure(
                    info.name,
                    info.dist,
                    info.version,
                    f"{kind.hook}: {kind.label} '{record.name}' is already registered by "
                    f"{self.clashes[key][0].label}; the name is unusable until one is disabled",
                )
            )

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
_rank: dict[str, int] = {}  # plugin name -> its place in discovery.scan(): the load order
_attempted: set[int] = set()  # places in discovery.scan() already loaded, or failed to load
_load_failures: list[tuple[int, LoadFailure]] = []
_registry: Registry | None = None
_lock = threading.RLock()  # TUI workers may ask for the registry while it is first built


def _manager() -> pluggy.PluginManager:
    """The process's plugin manager, entry points not loaded yet."""
    global _pm
    with _lock:
        if _pm is None:
            _pm = pluggy.PluginManager(GROUP)
            _pm.add_hookspecs(hookspecs)
        return _pm


def get_plugin_manager() -> pluggy.PluginManager:
    """The process's plugin manager, with every entry point loaded.

    Tests may `register(plugin, name=...)` an object inline and `unregister(name=...)` it;
    call `get_registry(refresh=True)` after either.
    """
    pm = _manager()
    with _lock:
        _load_entry_points(pm, None)
    return pm


def get_registry(*, refresh: bool = False) -> Registry:
    """What the plugins registered; cached per process, filled a kind at a time as commands ask.
    `refresh` reads the entry points (and the TEAMCAST_* variables) again and calls the plugins'
    hooks again."""
    global _registry
    with _lock:
        if _registry is None or refresh:
            pm = _manager()
            if refresh:
                _unload(pm)
                discovery.scan(refresh=True)
            _registry = Registry(pm)
        return _registry


def _unload(pm: pluggy.PluginManager) -> None:
    """Forgets every plugin loaded from an entry point; plugins registered inline are kept."""
    for name in list(_infos):
        if pm.get_plugin(name) is not None:
            pm.unregister(name=name)
    _infos.clear()
    _rank.clear()
    _attempted.clear()
    _load_failures.clear()


def _load_entry_points(pm: pluggy.PluginManager, kinds: frozenset[str] | None) -> None:
    """Loads, one by one and in scan order, every wanted entry point not loaded yet that may
    provide one of `kinds` (None: every kind)."""
    for place, found in enumerate(discovery.scan()):
        if place in _attempted or not discovery.may_provide(found, kinds) or not discovery.wanted(found):
            continue
        _attempted.add(place)
        entry_point, dist, version = found
        try:
            _register_one(pm, entry_point, dist, version)
            _rank[entry_point.name] = place
        except _LoadError as exc:
            _load_failures.append((place, LoadFailure(entry_point.name, dist, version, str(exc))))


class _LoadError(Exception):
    """Why one entry point could not be registered; becomes a LoadFailure."""


def _register_one(
    pm: pluggy.PluginManager, entry_point: importlib.metadata.EntryPoint, dist: str, version: str
) -> None:
    seconds = plugin_timeout()  # a bad setting is the user's error, not the plugin's
    try:
        plugin = guest(seconds, entry_point.load)
    except UserInterrupt:
        raise
    except LOAD_ERRORS as exc:  # a broken or hanging plugin must not take the others down
        raise _LoadError(f"cannot import {entry_point.value}: {one_line(exc)}") from exc
    if pm.get_plugin(entry_point.name) is not None:
        raise _LoadError(f"another plugin is already named '{entry_point.name}'")
    if pm.is_registered(plugin):
        raise _LoadError(f"{entry_point.value} is already registered as '{pm.get_name(plugin)}'")
    try:
        pm.register(plugin, name=entry_point.name)
    except Exception as exc:
        raise _LoadError(one_line(exc)) from exc
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


def _plugin_infos(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """Every registered plugin: entry points in scan order (whatever order they were loaded in, so
    that the first to claim a name is the same for every command), then those registered inline."""
    named = [(name, plugin) for name, plugin in pm.list_name_plugin() if plugin is not None]
    order = sorted(range(len(named)), key=lambda i: (_rank.get(named[i][0], len(_rank) + i), i))
    return [_info(pm, *named[i]) for i in order]


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
            failures.append(LoadFailure(info.name, info.dist, info.version, f"register_commands: {one_line(exc)}"))
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
        return guest(seconds, fn, *args)
    except UserInterrupt:
        raise
    except let_through:
        raise
    except PluginError:
        raise
    except Slow as exc:
        raise _fail(record, kind, str(exc)) from None
    except ValueError as exc:
        # ValueError is how a model reports bad task data; its message is written for users.
        message = str(exc).strip().splitlines()
        raise _fail(record, kind, message[0] if message else "ValueError") from exc
    except GUEST_ERRORS as exc:
        raise _fail(record, kind, f"raised {one_line(exc)}") from exc


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
    if (
        model.self_checked
        and is_builtin(model)
        and type(out) is np.ndarray
        and out.dtype == np.float64
        and out.shape == (n, tasks.height)
        and out.flags.c_contiguous
    ):
        return out  # teamcast's own model has checked every value as it wrote it (see DurationModel)
    return _check_efforts(model, "duration_model", out, (n, tasks.height), tasks)


def is_builtin(record: Any) -> bool:
    """Whether the record was registered by teamcast's own distribution (the only one whose
    `self_checked` flag the manager honours)."""
    return record.plugin is not None and discovery.canonical(record.plugin.dist) == discovery.BUILTIN_DIST


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
    if out.dtype == np.bool_ and out.flags.c_contiguous:
        return out.view(np.uint8)  # the same bytes as a cast to uint8, without the copy
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
