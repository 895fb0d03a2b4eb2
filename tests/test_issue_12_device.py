"""--device for the sentiment model (issue 12 item 5): auto falls back to the CPU, CUDA asked for where torch sees
none is one line and exit code 2, and the setting reaches the model through NARRATIVE_DEVICE."""

from __future__ import annotations

import os

import pytest
import torch
from click.testing import CliRunner

from narrative.cli import cli
from narrative.errors import ConfigError
from narrative.nlp.sentiment import SentimentModel, resolve_device


def test_issue_12_auto_is_cuda_exactly_when_torch_sees_a_gpu():
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("CPU") == "cpu"


def test_issue_12_device_defaults_to_the_setting(monkeypatch):
    monkeypatch.setenv("NARRATIVE_DEVICE", "cpu")
    assert resolve_device() == "cpu"
    monkeypatch.setenv("NARRATIVE_DEVICE", "gpu0")
    with pytest.raises(ConfigError, match=r"device 'gpu0' is not one of auto, cpu, cuda, cuda:N"):
        resolve_device()


def test_issue_12_cuda_without_a_gpu_is_a_config_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the machine without a GPU, on any machine
    with pytest.raises(ConfigError, match=r"torch sees no CUDA GPU .* use --device cpu"):
        resolve_device("cuda")
    with pytest.raises(ConfigError, match=r"torch sees no CUDA GPU"):
        SentimentModel.load(device="cuda:0")


def test_issue_12_cli_device_cuda_without_a_gpu_is_one_line_exit_2(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    result = CliRunner().invoke(cli, ["score", "--device", "cuda", "Profit rose."])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "Error: device 'cuda': torch sees no CUDA GPU (torch.cuda.is_available() is False); use --device cpu or "
        "--device auto."
    ]


def test_issue_12_cli_device_cpu_scores_and_leaves_the_environment_as_it_was(monkeypatch):
    monkeypatch.delenv("NARRATIVE_DEVICE", raising=False)
    result = CliRunner().invoke(cli, ["score", "--device", "cpu", "--format", "jsonl", "Profit doubled."])
    assert result.exit_code == 0, result.output
    assert '"label": "positive"' in result.output
    assert "NARRATIVE_DEVICE" not in os.environ


@pytest.mark.parametrize("command", ["ingest", "import", "enrich", "score"])
def test_issue_12_device_option_on_every_scoring_command(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert "--device" in result.output
