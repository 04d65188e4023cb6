"""The argument parser of every ``factory`` command: argparse's, plus a suggestion for a mistyped option.

    >>> p = ArgumentParser(prog="factory inspect"); _ = p.add_argument("--rejects", action="store_true")
    >>> p.parse_args(["--rejectz"])          # exits 2: "unrecognized arguments: --rejectz (did you mean --rejects?)"

argparse (Python < 3.14) names an unknown option but suggests nothing; a user who typed ``--formt`` had to read the
whole usage to find ``--format``. A unique prefix of an option is still that option (argparse's ``allow_abbrev``).
"""

from __future__ import annotations

import argparse
import difflib


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return [s for a in parser._actions for s in a.option_strings if s.startswith("--")]


def _hint(word: str, options: list[str]) -> str:
    name = word.split("=", 1)[0]
    if not name.startswith("--"):
        return word
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return f"{word} (did you mean {close[0]}?)" if close else word


class ArgumentParser(argparse.ArgumentParser):
    def parse_args(self, args=None, namespace=None):
        ns, extras = self.parse_known_args(args, namespace)
        if extras:
            parser = self
            for action in self._actions:  # the chosen subcommand's parser knows the options that were meant
                if isinstance(action, argparse._SubParsersAction):
                    parser = action.choices.get(getattr(ns, action.dest, None) or "", self)
            options = _options(parser)
            parser.error("unrecognized arguments: " + " ".join(_hint(w, options) for w in extras))
        return ns
