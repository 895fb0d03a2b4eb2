"""Price providers (registry, yfinance absent) and the market commands' CLI contract."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from narrative.cli import cli
from narrative.errors import InputError
from narrative.market import providers
from narrative.market.providers.yfinance import ProviderError, YFinanceProvider


def test_providers_registry_pins_names_and_lists_them_on_error():
    assert providers.available() == ["yfinance.v1"]
    assert isinstance(providers.get_provider("yfinance.v1"), providers.PriceProvider)
    with pytest.raises(InputError, match=r"Available: yfinance\.v1"):
        providers.get_provider("stooq.v1")


def test_providers_yfinance_missing_is_one_clear_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "yfinance", None)  # import yfinance -> ImportError
    with pytest.raises(ProviderError, match="pip install narrative\\[yfinance\\]"):
        YFinanceProvider().fetch("BABA")
    result = CliRunner().invoke(cli, ["prices", "fetch", "BABA", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: yfinance is not installed") and "Traceback" not in result.output


def test_providers_yfinance_offline_is_one_clear_line(monkeypatch):
    class Offline:
        @staticmethod
        def download(*args, **kwargs):
            raise ConnectionError("no route to host")

    monkeypatch.setitem(sys.modules, "yfinance", Offline)
    with pytest.raises(ProviderError, match="could not fetch BABA: ConnectionError"):
        YFinanceProvider().fetch("BABA")


@pytest.mark.parametrize(
    "command", [["prices"], ["prices", "import"], ["prices", "fetch"], ["claims"], ["report"], ["leadlag"]]
)
def test_market_cli_docstrings_have_an_example(command):
    group = cli
    cli.load_all()
    for name in command:
        group = group.commands[name] if hasattr(group, "commands") else group
    assert "Example: narrative " in (group.help or "")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "2025-01-01", "--to", "2024-01-01"], "is after --to"),
        (["--from", "2025-13-01", "--to", "2025-12-31"], "not a valid date"),
    ],
)
def test_market_cli_bad_dates_exit_2(tmp_path, args, message):
    result = CliRunner().invoke(
        cli,
        [
            "report",
            "--narrative",
            "china-ai",
            "--tickers",
            "BABA",
            "--out",
            str(tmp_path / "r"),
            "--db",
            str(tmp_path / "x.db"),
            *args,
        ],
    )
    assert result.exit_code == 2 and message in result.output


def test_market_cli_unknown_name_and_missing_prices_exit_2(tmp_path):
    from narrative.store import open_db

    open_db(tmp_path / "x.db").close()
    base = [
        "report",
        "--narrative",
        "china-ai",
        "--from",
        "2024-01-01",
        "--to",
        "2024-12-31",
        "--out",
        str(tmp_path / "r"),
        "--db",
        str(tmp_path / "x.db"),
    ]
    result = CliRunner().invoke(cli, [*base, "--tickers", "Alibabba"])
    assert result.exit_code == 2 and "unknown entity 'Alibabba'" in result.output
    result = CliRunner().invoke(cli, [*base, "--tickers", "BABA"])
    assert result.exit_code == 2 and "no BABA prices between" in result.output


def test_market_cli_benchmark_entries_are_checked(tmp_path):
    from narrative.store import open_db

    open_db(tmp_path / "x.db").close()
    base = [
        "report",
        "--narrative",
        "china-ai",
        "--tickers",
        "BABA",
        "--from",
        "2024-01-01",
        "--to",
        "2024-12-31",
        "--out",
        str(tmp_path / "r"),
        "--db",
        str(tmp_path / "x.db"),
    ]
    result = CliRunner().invoke(cli, [*base, "--benchmark", "MARS=^X"])
    assert result.exit_code == 2 and "unknown exchange 'MARS'" in result.output
    result = CliRunner().invoke(cli, [*base, "--benchmark", "QQQ", "--benchmark", "SPY"])
    assert result.exit_code == 2 and "only one benchmark without an exchange" in result.output
