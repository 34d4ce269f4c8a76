"""tools/install_env.py: pip's settings become the uv options that read from the same places."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "install_env.py"


@pytest.fixture(scope="module")
def install_env():
    spec = importlib.util.spec_from_file_location("install_env", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LISTING = """:env:.find-links='/opt/wheels'
global.find-links='/elsewhere'
global.extra-index-url='file:///a/simple file:///b/simple'
global.constraint='/etc/constraints.txt'
global.cert='/etc/ssl/ca.crt'
install.timeout='60'
global.timeout='10'
download.timeout='99'
not a setting line
"""


def test_the_strongest_section_wins(install_env):
    settings = install_env.pip_settings(LISTING)
    assert settings["find-links"] == "/opt/wheels"  # PIP_FIND_LINKS beats [global]
    assert settings["timeout"] == "60"  # [install] beats [global]; [download] is another command's
    assert settings["extra-index-url"] == "file:///a/simple file:///b/simple"
    assert "not a setting line" not in settings


def test_every_index_wheel_folder_and_constraint_reaches_uv(install_env):
    args = install_env.uv_arguments(install_env.pip_settings(LISTING))
    assert args == ["--extra-index-url", "file:///a/simple", "--extra-index-url", "file:///b/simple",
                    "--find-links", "/opt/wheels", "--constraints", "/etc/constraints.txt",
                    "--index-strategy", "unsafe-best-match"]


def test_one_index_keeps_uvs_default_strategy(install_env):
    assert install_env.uv_arguments({"index-url": "https://mirror/simple"}) == [
        "--index-url", "https://mirror/simple"]
    assert install_env.uv_arguments({}) == []
    assert install_env.uv_arguments({"no-index": "true", "find-links": "/w"}) == [
        "--find-links", "/w", "--no-index"]


def test_certificate_and_timeout_go_to_uvs_environment_without_overriding(install_env, monkeypatch):
    monkeypatch.setenv("UV_HTTP_TIMEOUT", "5")
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    env = install_env.uv_environment(install_env.pip_settings(LISTING))
    assert env["SSL_CERT_FILE"] == "/etc/ssl/ca.crt"
    assert env["UV_HTTP_TIMEOUT"] == "5"


def test_a_failed_uv_install_falls_back_to_pip(install_env, monkeypatch):
    commands = []
    monkeypatch.setattr(install_env, "install_with_uv", lambda args: False)
    monkeypatch.setattr(install_env, "run", lambda command, env=None: commands.append(command) or True)
    assert install_env.main(["--", "-e", ".[dev]"]) == 0
    assert commands[-1][1:] == ["-m", "pip", "install", "--quiet", "-e", ".[dev]"]
