"""Every command's and subcommand's --help explains every option and argument, and names the
default of each option that takes a value."""

import argparse

import pytest

from lab.cli import build_parser


def _parsers(parser: argparse.ArgumentParser, prog: str = "lab"):
    """(prog, parser) for lab and every command and subcommand below it."""
    yield prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, f"{prog} {name}")


PARSERS = dict(_parsers(build_parser()))


def test_every_command_is_walked():
    assert {"lab check", "lab diff", "lab report", "lab bench", "lab sd inspect", "lab sd sample",
            "lab sd safety", "lab gradbench tool", "lab gradbench check"} <= set(PARSERS)


@pytest.mark.parametrize("prog", sorted(PARSERS))
def test_every_option_is_explained_with_its_default(prog):
    parser = PARSERS[prog]
    formatter = parser._get_formatter()
    unexplained, no_default = [], []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction | argparse._HelpAction | argparse._VersionAction):
            continue
        name = "/".join(action.option_strings) or action.metavar or action.dest
        if not action.help or action.help == argparse.SUPPRESS:
            unexplained.append(name)
        elif action.option_strings and action.nargs != 0 and action.default is not argparse.SUPPRESS:
            if "default" not in formatter._expand_help(action):
                no_default.append(name)
    assert not unexplained, f"{prog}: options without help: {unexplained}"
    assert not no_default, f"{prog}: options whose help names no default: {no_default}"
    assert parser.format_help()  # every %-placeholder expands
