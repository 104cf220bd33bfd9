"""Every JSON document validates against the schema shipped for its kind."""

from __future__ import annotations

import json

import jsonschema
import pytest

from costlab.render.data import schema_for

COMMANDS = {
    "report": ["report", "mobilenetv2"],
    "report_depth": ["report", "shufflenetv1", "--depth", "1", "--params", "folded"],
    "report_tree": ["report", "mobilenetv2", "--depth", "2", "--tree"],
    "report_training": ["report", "mobilenetv1", "--alpha", "0.25", "--training"],
    "memory": ["memory", "mobilenetv2", "--view", "bottlenecks"],
    "memory_training": ["memory", "lenet5", "--training", "--optimizer", "momentum"],
    "compare": ["compare", "mobilenetv1", "mobilenetv2:alpha=0.5", "--dtype", "fp16"],
    "compare_stages": ["compare", "mobilenetv2", "mobilenetv2:alpha=0.5", "--per-stage"],
    "check": ["check"],
    "sweep": ["sweep", "lenet5", "--grid", "num_classes=10,100", "--pareto", "macs,params"],
}


@pytest.mark.parametrize("case", list(COMMANDS))
def test_json_output_validates_against_its_schema(case, run_cli):
    result = run_cli(*COMMANDS[case], "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    schema = schema_for(data["kind"])
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(data, schema)


def test_a_wrong_document_fails_validation(run_cli):
    data = json.loads(run_cli("report", "lenet5", "--format", "json").stdout)
    data["layers"][0]["macs"] = "117.6K"          # a humanized string where an integer belongs
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema_for("report"))


def test_an_unknown_kind_names_the_shipped_ones():
    with pytest.raises(KeyError, match="shipped: check, compare"):
        schema_for("nothing")
