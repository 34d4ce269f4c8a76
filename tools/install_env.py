"""Install the project into the running interpreter's environment, with uv when it can, pip otherwise.

``make`` calls this with the fresh ``.venv``'s Python. uv resolves, unpacks and byte-compiles the
~200 dependencies in parallel: on the project's 2-core machine a fresh ``.venv`` took 44 s with an
empty uv cache (26 s with a filled one) against 104 s with pip, a minute of the 30-minute budget
of ``make tables``.

uv deliberately ignores pip's configuration files and ``PIP_*`` variables, so a user behind a
mirror, a wheel folder or a constraints file (as on the project's own CI) would otherwise install
from a different place than pip does. This script reads pip's effective settings (``pip config
list``) and passes the ones that decide *where packages come from* to uv as options. Whatever goes
wrong with uv (it cannot be installed, it cannot resolve) falls back to plain pip, so the result
is never worse than ``pip install``.

Usage: ``python tools/install_env.py [--no-uv] -- <pip install arguments>``, e.g. ``-e '.[dev]'``.
Standard library only: it runs before the project is installed.
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys

# pip setting -> uv option taking the same values. Settings listed with several values (pip
# separates them by whitespace) become one option each.
UV_OPTIONS = {
    "index-url": "--index-url",
    "extra-index-url": "--extra-index-url",
    "find-links": "--find-links",
    "constraint": "--constraints",
}
# `pip config list` prints the configuration files already merged, as ``<section>.<key>='value'``.
# Sections as pip applies them to `pip install`, strongest first: environment variables (``:env:``),
# the command's own section, then ``[global]`` (https://pip.pypa.io/en/stable/topics/configuration/).
SECTIONS = (":env:", "install", "global")
# pip setting -> environment variable of uv with the same meaning (a CA bundle for a mirror behind
# a company certificate, the network timeout in seconds).
UV_ENVIRONMENT = {"cert": "SSL_CERT_FILE", "timeout": "UV_HTTP_TIMEOUT", "default-timeout": "UV_HTTP_TIMEOUT"}
UV_REQUIREMENT = "uv>=0.5,<1"


def pip_settings(listing: str) -> dict[str, str]:
    """``pip config list`` output -> setting name -> value, the strongest section winning.

    Args:
        listing: Lines such as ``global.extra-index-url='file:///a file:///b'``.

    Returns:
        For example ``{"extra-index-url": "file:///a file:///b"}``; unknown lines are skipped.
    """
    found: dict[str, tuple[int, str]] = {}
    for line in listing.splitlines():
        key, sep, raw = line.partition("=")
        section, dot, name = key.rpartition(".")
        if not (sep and dot) or section not in SECTIONS:
            continue
        try:
            value = ast.literal_eval(raw)  # pip prints the value as a Python string literal
        except (ValueError, SyntaxError):
            continue
        rank = SECTIONS.index(section)
        if name not in found or rank < found[name][0]:
            found[name] = (rank, str(value))
    return {name: value for name, (_, value) in found.items()}


def uv_arguments(settings: dict[str, str]) -> list[str]:
    """The uv options that make it read packages from where pip's ``settings`` point.

    pip picks the best version across every index it knows; uv by default stops at the first index
    that has the package, so several indexes also need ``--index-strategy unsafe-best-match``.
    """
    args: list[str] = []
    for name, option in UV_OPTIONS.items():
        for value in settings.get(name, "").split():
            args += [option, value]
    if settings.get("extra-index-url", "").split():  # the default (or given) index plus at least one
        args += ["--index-strategy", "unsafe-best-match"]
    if settings.get("no-index", "").lower() in ("1", "true", "yes", "on"):
        args.append("--no-index")
    return args


def uv_environment(settings: dict[str, str]) -> dict[str, str]:
    """This process's environment plus the uv variables matching pip's ``settings`` (never overriding)."""
    env = dict(os.environ)
    for name, variable in UV_ENVIRONMENT.items():
        if name in settings:
            env.setdefault(variable, settings[name])
    return env


def run(command: list[str], env: dict[str, str] | None = None) -> bool:
    """Run ``command``; ``True`` when it succeeded."""
    print("+", " ".join(command), flush=True)
    return subprocess.run(command, env=env).returncode == 0


def install_with_uv(pip_args: list[str]) -> bool:
    """Install uv with pip, then ``uv pip install --compile-bytecode <pip_args>``; ``True`` on success."""
    python = sys.executable
    if not run([python, "-m", "pip", "install", "--quiet", UV_REQUIREMENT]):
        return False
    listing = subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True, text=True).stdout
    settings = pip_settings(listing)
    # Byte-compile at install time: where PYTHONDONTWRITEBYTECODE is set, Python never caches
    # bytecode itself and every pipeline job would recompile torch at import (3-6 s each).
    command = [python, "-m", "uv", "pip", "install", "--python", python, "--compile-bytecode",
               *uv_arguments(settings), *pip_args]
    return run(command, uv_environment(settings))


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status of the install that ran last."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-uv", action="store_true", help="install with pip only")
    parser.add_argument("pip_args", nargs=argparse.REMAINDER, help="after --: what to install")
    args = parser.parse_args(argv)
    pip_args = [a for a in args.pip_args if a != "--"] or ["-e", ".[dev]"]
    if not args.no_uv and install_with_uv(pip_args):
        return 0
    if not args.no_uv:
        print("uv could not install the environment; installing with pip instead", file=sys.stderr)
    return 0 if run([sys.executable, "-m", "pip", "install", "--quiet", *pip_args]) else 1


if __name__ == "__main__":
    sys.exit(main())
