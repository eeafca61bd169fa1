"""Each modifier declares its options; an unknown one is a usage error (exit 2) listing the valid ones."""

import pytest
from click.testing import CliRunner

from teamcast.engine.commands.cli import main
from teamcast.errors import UsageError
from teamcast.plugins.manager import check_modifier_options, get_registry

DEMO = "engine/plan/data/demo.toml"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("ebs:window=90", "usage: modifier 'ebs' has no option 'window'; its options: window_days, min_tasks\n"),
        ("stall:alpah=2", "usage: modifier 'stall' has no option 'alpah'; its options: p_<kind>, alpha, scale\n"),
    ],
)
def test_an_unknown_option_is_a_usage_error_naming_the_valid_ones(spec, message):
    result = CliRunner().invoke(main, ["simulate", DEMO, "-n", "64", "--modifier", spec])
    assert result.exit_code == 2
    assert result.stderr == message and result.stdout == ""


def test_declared_options_change_the_forecast():
    def p80(spec):
        result = CliRunner().invoke(main, ["simulate", DEMO, "-n", "500", "--format", "json", "--modifier", spec])
        assert result.exit_code == 0, result.output
        import json

        return [p["finish_days"]["p80"] for p in json.loads(result.stdout)["projects"]]

    assert p80("ebs:window_days=30") != p80("ebs:window_days=3650")
    assert p80("stall:p_research=0.9,scale=2") != p80("stall:p_research=0.0,p_experiment=0.0,p_data=0.0")


def test_every_built_in_modifier_declares_its_options():
    registry = get_registry()
    for name in ("ebs", "stall"):
        assert registry.sample_modifier(name).options is not None, name
    with pytest.raises(UsageError):
        check_modifier_options(registry.sample_modifier("stall"), {"p_research": "1", "beta": "2"})
    check_modifier_options(registry.sample_modifier("stall"), {"p_anything": "0.2"})
