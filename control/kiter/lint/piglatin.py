"""Offline checks of rendered Pig Latin, without Pig: a few structural rules over its tokens.

No Pig runs on the machine, so this is not a parser. It catches what users of the Kinesis connector
actually got wrong: a missing `;`, an unclosed quote or bracket, Hive's `SET key=value` in a Pig
script, a relation used before it is defined, and (when the script should read the stream) a
missing `KinesisStreamLoader`. It only reads text and never raises on bad input; tokens,
statements, SET lines and parameters are read by `kiter.scripts`.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterable

from kiter.scripts import (
    PIG_LOADER,
    PigStatement,
    Problem,
    Token,
    pig_declared,
    pig_parameters,
    pig_set,
    pig_statements,
    tokenize,
)

# Operators that make a relation (`alias = OP ...`, or a bare `OP ...;` whose result is dropped).
_SINGLE_INPUT = frozenset(
    [
        "FOREACH",
        "FILTER",
        "DISTINCT",
        "LIMIT",
        "SAMPLE",
        "ORDER",
        "RANK",
        "STREAM",
        "CUBE",
        "ASSERT",
        "STORE",
    ]
)
_MULTI_INPUT = frozenset(["GROUP", "COGROUP", "JOIN", "CROSS", "UNION"])
_NO_INPUT = frozenset(["LOAD", "DEFINE", "MAPREDUCE", "NATIVE"])
_OPERATORS = _SINGLE_INPUT | _MULTI_INPUT | _NO_INPUT
# Statements that are not relational: Grunt commands take shell-like arguments we do not check.
_INSPECT = frozenset(["DUMP", "DESCRIBE", "EXPLAIN", "ILLUSTRATE"])
_GRUNT = frozenset(
    [
        "REGISTER",
        "IMPORT",
        "FS",
        "SH",
        "RMF",
        "RM",
        "CD",
        "LS",
        "MKDIR",
        "CAT",
        "CP",
        "MV",
        "COPYFROMLOCAL",
        "COPYTOLOCAL",
        "EXEC",
        "RUN",
        "KILL",
        "QUIT",
        "HELP",
        "CLEAR",
        "HISTORY",
        "PWD",
        "DU",
    ]
)
_STATEMENT_WORDS = _OPERATORS | _INSPECT | _GRUNT | {"SET", "SPLIT"}
# Reserved words that cannot name a relation (Grunt commands can: `cat` is a fine alias).
_KEYWORDS = (
    _OPERATORS
    | _INSPECT
    | {"SET", "SPLIT"}
    | frozenset(
        [
            "BY",
            "ALL",
            "ANY",
            "GENERATE",
            "INTO",
            "USING",
            "AS",
            "IF",
            "OTHERWISE",
            "PARALLEL",
            "INNER",
            "OUTER",
            "LEFT",
            "RIGHT",
            "FULL",
            "ONSCHEMA",
            "THROUGH",
            "PARTITION",
            "AND",
            "OR",
            "NOT",
            "IS",
            "NULL",
            "ASC",
            "DESC",
        ]
    )
)


def check_piglatin(
    text: str, *, reads_stream: bool, parameters: Iterable[str] | None = None
) -> list[Problem]:
    """Every problem found in a Pig Latin script, in line order; [] when it looks fine.

    With `reads_stream`, the script must LOAD through the connector's KinesisStreamLoader (in staged
    mode kiter reads the stream itself and the script loads staged files, so pass False). With
    `parameters` (the names the run will pass), a `$name` that neither they nor a `%declare` or
    `%default` give a value is an error (Pig refuses the script before it runs).
    """
    problems: list[Problem] = []
    try:
        tokens = tokenize(text, problems)
        statements = pig_statements(tokens, problems)
        _check_statements(statements, text, reads_stream, problems)
        if parameters is not None:
            problems.extend(_undefined_parameters(text, set(parameters)))
    except Exception as exc:  # a bug here must not hide the script's real state
        problems.append(Problem(1, f"the Pig Latin checker failed ({type(exc).__name__}): {exc}"))
    return sorted(problems, key=lambda p: p.line)


def _undefined_parameters(text: str, given: set[str]) -> list[Problem]:
    defined = given | pig_declared(text)
    problems = []
    for name, number in pig_parameters(text):
        if name not in defined:
            problems.append(
                Problem(
                    number,
                    f"parameter ${name} has no value: pass it as a job var, or %declare it",
                )
            )
            defined.add(name)  # once per name
    return problems


def _check_statements(
    statements: list[PigStatement], text: str, reads_stream: bool, problems: list[Problem]
) -> None:
    first_definition: dict[str, int] = {}
    for statement in statements:
        for name in _defined_names(statement.tokens):
            first_definition.setdefault(name.text, name.line)
    defined: set[str] = set()
    loaders = {PIG_LOADER}
    loader_seen = False
    for statement in statements:
        tokens = statement.tokens
        head = tokens[0]
        op_at = _operator_index(tokens)
        if op_at is not None and (op_at > 0 or head.upper in _OPERATORS):
            _check_operator(tokens, op_at, defined, first_definition, problems)
            defines_loader = tokens[op_at].upper == "DEFINE" and len(tokens) > op_at + 2
            if defines_loader and tokens[op_at + 2].text in loaders:
                loaders.add(tokens[op_at + 1].text)
        elif head.upper == "SET":
            setting = pig_set(statement, text)
            if isinstance(setting, Problem):
                problems.append(setting)
        elif head.upper in _INSPECT or head.upper == "SPLIT":
            if len(tokens) > 1:
                _check_relation(tokens[1], defined, first_definition, problems)
        elif head.upper not in _GRUNT:
            problems.append(Problem(head.line, _not_a_statement(tokens)))
            continue
        loader_seen |= _uses_loader(tokens, loaders, problems)
        defined.update(name.text for name in _defined_names(tokens))
    if reads_stream and not loader_seen:
        problems.append(
            Problem(
                1,
                f"the script never reads the stream: no LOAD ... USING {PIG_LOADER}(...)",
            )
        )


def _operator_index(tokens: list[Token]) -> int | None:
    """Index of the relational operator: after `alias =` / `a, b =`, or first; None if absent."""
    i = 0
    while i + 1 < len(tokens) and tokens[i].kind in ("word", "param"):
        if tokens[i + 1].text == "=":
            i += 2
            break
        if tokens[i + 1].text != ",":
            i = 0
            break
        i += 2
    else:
        i = 0
    if i < len(tokens):
        op = tokens[i]
        if op.upper in _OPERATORS:
            return i
        macro_call = i > 0 and op.kind == "word" and i + 1 < len(tokens)
        if macro_call and tokens[i + 1].text == "(":
            return i
    return None


def _defined_names(tokens: list[Token]) -> list[Token]:
    if not tokens:
        return []
    if tokens[0].upper == "SPLIT":
        names = []
        depth = 0
        seen_into = False
        for prev, token in itertools.pairwise(tokens):
            depth += (token.text in "([{") - (token.text in ")]}") if token.kind == "punct" else 0
            if prev.upper == "INTO":
                seen_into = True
            branch_start = prev.upper == "INTO" or prev.text == ","
            if seen_into and branch_start and depth == 0 and token.kind == "word":
                names.append(token)
        return names
    names = []
    for i in range(0, len(tokens) - 1, 2):
        if tokens[i].kind != "word" or tokens[i + 1].text not in ("=", ","):
            return []
        names.append(tokens[i])
        if tokens[i + 1].text == "=":
            return names
    return []


def _check_operator(
    tokens: list[Token],
    op_at: int,
    defined: set[str],
    first_definition: dict[str, int],
    problems: list[Problem],
) -> None:
    op = tokens[op_at].upper
    rest = tokens[op_at + 1 :]
    if op in _NO_INPUT or op not in _OPERATORS:
        return
    if not rest:
        problems.append(Problem(tokens[op_at].line, f"{op} has no input relation"))
        return
    inputs = [rest[0]]
    if op == "UNION" and rest[0].upper == "ONSCHEMA" and len(rest) > 1:
        inputs = [rest[1]]
    if op in _MULTI_INPUT:
        depth = 0
        for prev, token in itertools.pairwise(rest):
            if prev.kind == "punct" and prev.text in "([{":
                depth += 1
            elif prev.kind == "punct" and prev.text in ")]}":
                depth -= 1
            if depth == 0 and prev.text == ",":
                inputs.append(token)
    for token in inputs:
        if token.text == "(":
            continue  # an inline operator as input: checked no further
        if token.upper in _KEYWORDS:
            problems.append(Problem(token.line, f"{op} has no input relation before {token.text}"))
            continue
        _check_relation(token, defined, first_definition, problems)


def _check_relation(
    token: Token, defined: set[str], first_definition: dict[str, int], problems: list[Problem]
) -> None:
    if token.kind != "word" or token.text in defined:
        return  # parameters ($name) and anything else are taken on trust
    later = first_definition.get(token.text)
    if later is not None and later > token.line:
        message = f"relation {token.text} is used before it is defined (line {later})"
    else:
        message = f"relation {token.text} is not defined"
        guess = difflib.get_close_matches(token.text, sorted(defined), n=1, cutoff=0.8)
        if guess:
            message += f" (did you mean {guess[0]}?)"
    problems.append(Problem(token.line, message))


def _uses_loader(tokens: list[Token], loaders: set[str], problems: list[Problem]) -> bool:
    found = False
    for i, token in enumerate(tokens[:-1]):
        if token.upper != "LOAD":
            continue
        for j in range(i + 1, len(tokens) - 1):
            if tokens[j].upper != "USING":
                continue
            name = tokens[j + 1]
            if name.text in loaders:
                found = True
            elif "kinesis" in name.text.lower():
                problems.append(
                    Problem(name.line, f"unknown loader {name.text}: did you mean {PIG_LOADER}?")
                )
            break
    return found


def _not_a_statement(tokens: list[Token]) -> str:
    head = tokens[0]
    if len(tokens) > 2 and tokens[1].text == "=":
        op = tokens[2]
        guess = difflib.get_close_matches(op.text.upper(), sorted(_OPERATORS), n=1, cutoff=0.75)
        hint = f" (did you mean {guess[0]}?)" if guess else ""
        return f"unknown Pig operator {op.text}{hint}"
    guess = difflib.get_close_matches(head.text.upper(), sorted(_STATEMENT_WORDS), n=1, cutoff=0.75)
    hint = f" (did you mean {guess[0]}?)" if guess else ""
    return f"not a Pig Latin statement: {head.text}{hint}"
