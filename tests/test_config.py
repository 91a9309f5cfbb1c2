"""TOML settings for compare: spec strings, tables, checks that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrlab.config import CompareConfig, ConfigError, read_config, schedule_spec


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "compare.toml"
    path.write_text(text)
    return path


def test_every_key(tmp_path):
    path = write(
        tmp_path,
        """
title = "Three decays"
epochs = 3
lr = 0.05
batch_size = 50
seed = 7
data_dir = "mnist"
out = "runs/cmp"
schedules = ["exponential(gamma=0.8)", "cosine(total_steps=15)"]
""",
    )

    settings = read_config(path)

    assert settings == {
        "title": "Three decays",
        "epochs": 3,
        "lr": 0.05,
        "batch_size": 50,
        "seed": 7,
        "data_dir": str(tmp_path / "mnist"),
        "out": str(tmp_path / "runs" / "cmp"),
        "schedules": ("exponential(gamma=0.8)", "cosine(total_steps=15)"),
    }


def test_schedules_as_tables_strings_and_specs(tmp_path):
    path = write(
        tmp_path,
        """
[[schedules]]
name = "step"
step_size = 5
gamma = 0.5

[[schedules]]
spec = "cosine(total_steps=15)"

[[schedules]]
name = "warmup"
warmup_steps = 2
schedule = { name = "multistep", milestones = [5, 10] }
""",
    )

    assert read_config(path)["schedules"] == (
        "step(step_size=5, gamma=0.5)",
        "cosine(total_steps=15)",
        "warmup(schedule=multistep(milestones=[5, 10]), warmup_steps=2)",
    )


def test_a_list_may_mix_strings_and_inline_tables(tmp_path):
    path = write(
        tmp_path,
        'schedules = ["exponential(0.8)", { name = "constant" }]\n',
    )

    assert read_config(path)["schedules"] == ("exponential(gamma=0.8)", "constant()")


def test_only_the_keys_given_come_back(tmp_path):
    assert read_config(write(tmp_path, "epochs = 2\n")) == {"epochs": 2}


def test_to_toml_reads_back_as_the_same_config(tmp_path):
    config = CompareConfig(
        schedules=("step(step_size=5, gamma=0.5)", "cosine(total_steps=15)"),
        epochs=4,
        lr=0.25,
        seed=11,
        data_dir=str(tmp_path / "data"),
        title='a "quoted" title',
    )

    settings = read_config(write(tmp_path, config.to_toml()))

    assert CompareConfig(**settings) == config


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("epoch = 3\n", r"unknown key 'epoch'; valid keys: title, epochs, lr"),
        ("[compare]\nepochs = 3\n", "unknown key 'compare'"),
        ("epochs = 0\n", "epochs must be a positive integer, got 0"),
        ("epochs = true\n", "epochs must be a positive integer, got True"),
        ("lr = -1\n", "lr must be a positive number, got -1"),
        ('lr = "0.1"\n', "lr must be a positive number, got '0.1'"),
        ("batch_size = 2.5\n", "batch_size must be a positive integer, got 2.5"),
        ("seed = -1\n", r"seed must be an integer from 0 to 2\*\*63 - 1, got -1"),
        ("data_dir = 3\n", "data_dir must be a non-empty string, got 3"),
        ("schedules = []\n", "schedules must list at least one schedule, got none"),
        ('schedules = "cosine"\n', "schedules must be a list of spec strings"),
        ("schedules = [3]\n", r"schedules\[0\] must be a spec string or a table"),
        (
            'schedules = ["cosine(total_steps=15)", "nope(1)"]\n',
            r"schedules\[1\]: invalid spec 'nope\(1\)'.*unknown schedule 'nope'",
        ),
        (
            '[[schedules]]\nname = "step"\nstep_sise = 5\n',
            r"schedules\[0\]: .*step\(\) has no argument 'step_sise'; valid "
            r"arguments: step_size, gamma",
        ),
        (
            "[[schedules]]\nstep_size = 5\n",
            r"schedules\[0\] needs a 'name' \(a schedule such as \"step\"\) or a "
            r"'spec'",
        ),
        (
            '[[schedules]]\nspec = "constant"\nname = "step"\n',
            r"schedules\[0\]: a table with 'spec' takes no other keys, got 'name'",
        ),
        (
            '[[schedules]]\nname = "step"\nstep_size = 0\n',
            r"schedules\[0\]: step_size must be a positive integer, got 0",
        ),
        ("epochs = \n", "not valid TOML"),
    ],
)
def test_errors_name_the_file_and_the_key(tmp_path, text, message):
    path = write(tmp_path, text)

    with pytest.raises(ConfigError, match=message) as caught:
        read_config(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert "\n" not in str(caught.value)


def test_a_missing_file(tmp_path):
    with pytest.raises(ConfigError, match=r"missing.toml: cannot read: No such"):
        read_config(tmp_path / "missing.toml")


def test_the_same_schedule_twice_is_an_error():
    with pytest.raises(ConfigError, match=r"'constant\(\)' is listed twice"):
        CompareConfig(schedules=("constant()", "constant()"))


def test_schedule_spec_writes_the_canonical_form():
    assert schedule_spec("step(5, gamma=0.1)") == "step(step_size=5)"
    assert schedule_spec({"name": "cosine", "total_steps": 15}) == (
        "cosine(total_steps=15)"
    )
