"""Thin stage entry points: parse arguments, read inputs, call library code, write outputs.

Each module exposes ``add_arguments(parser)`` and ``run(args)`` and is reached through
``synthad <stage>`` (:mod:`synthad.cli`).
"""
