"""The pytest plugin: the costlab_budget fixture and the costlab marker, run in a scratch
pytest session as a user's suite would (pytester)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_the_plugin_is_an_entry_point_in_pyproject():
    import tomllib
    from pathlib import Path
    data = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert data["project"]["entry-points"]["pytest11"] == {"costlab": "costlab.ci.pytest_plugin"}


def test_fixture_and_marker_pass_and_fail_with_the_numbers(pytester: pytest.Pytester,
                                                          monkeypatch):
    pytester.makepyfile(test_budgets="""
        import pytest
        from torch import nn

        def test_fixture_passes(costlab_budget):
            costlab_budget("lenet5", max_macs=416_520)          # LeNet-5's exact MACs

        def test_fixture_fails(costlab_budget):
            costlab_budget("lenet5", max_macs="400K")

        @pytest.mark.costlab("lenet5", max_params=61_706)
        def test_marker_passes():
            pass

        @pytest.mark.costlab("lenet5", max_params="60K")
        def test_marker_fails():
            pass

        def test_a_module_is_named_by_its_class_path(costlab_budget):
            costlab_budget(nn.Sequential(nn.Linear(8, 4)), inputs=[(1, 8)], max_macs=31)
    """)
    # loaded by name, whatever entry points this environment has installed
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = pytester.runpytest_subprocess("-p", "costlab.ci.pytest_plugin", "-q",
                                           str(pytester.path / "test_budgets.py"))
    result.assert_outcomes(passed=2, failed=3)
    out = result.stdout.str()
    assert "lenet5 costs more than allowed" in out
    assert "macs 416,520 is over its budget of 400,000 by 16,520" in out
    assert "params 61,706 is over its budget of 60,000 by 1,706" in out
    assert "torch.nn.modules.container.Sequential module costs more than allowed" in out
    assert "costlab/ci/testing.py" not in out       # costlab's own frames are hidden
