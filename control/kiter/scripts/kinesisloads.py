"""Pig loads through the EMR Kinesis connector's stream loader, by its name or through a DEFINE's
alias: the stream each reads, the arguments it gives the loader (with their offsets, so a caller
can drop exactly one), and the ones a Pig parameter gives. Pure text, from the Pig tokenizer; the
quick readings that run on every render are kiter.scripts.connector's.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiter.scripts.connector import PIG_LOADER
from kiter.scripts.pigtokens import Token, pig_statements, tokenize, unquote

# The loader as a Pig script may name it.
_LOADER_NAMES = (PIG_LOADER, PIG_LOADER.rsplit(".", 1)[-1])


@dataclass(frozen=True)
class KinesisLoad:
    """`LOAD 'Stream' USING ...KinesisStreamLoader(args) [AS (schema)]` in a Pig script."""

    stream: str
    line: int
    start: int  # offset of the stream's literal
    end: int  # offset just past the loader's closing bracket
    arguments: tuple[tuple[str, int, int], ...]  # (argument unquoted, start, end)
    schema: tuple[str, ...]  # the AS fields as written ("line:chararray"), () without AS
    # Argument tokens holding a Pig parameter (`'$a'`, `$a`), as written, with their lines:
    # what they give the loader is known only once Pig substitutes them.
    parameters: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class KinesisDefine:
    """`DEFINE alias ...KinesisStreamLoader(args)` in a Pig script: the loader under a name."""

    alias: str
    line: int
    arguments: tuple[tuple[str, int, int], ...]  # (argument unquoted, start, end)
    parameters: tuple[tuple[str, int], ...]  # as KinesisLoad.parameters


def kinesis_loads(text: str) -> list[KinesisLoad]:
    """Every LOAD of the script that goes through the Kinesis stream loader, by its name or by
    an alias a DEFINE of it gives (`USING KL()`)."""
    return kinesis_loads_and_defines(text)[0]


def kinesis_defines(text: str) -> list[KinesisDefine]:
    """Every DEFINE of the script that names the Kinesis stream loader."""
    return kinesis_loads_and_defines(text)[1]


def kinesis_loads_and_defines(text: str) -> tuple[list[KinesisLoad], list[KinesisDefine]]:
    """`kinesis_loads` and `kinesis_defines`, from one reading of the script."""
    statements = pig_statements(tokenize(text, []), [])
    defines = []
    for statement in statements:
        tokens = statement.tokens
        if _defines_loader(tokens):
            arguments, parameters, _, _ = _loader_arguments(tokens, 3)
            defines.append(KinesisDefine(tokens[1].text, tokens[0].line, arguments, parameters))
    names = set(_LOADER_NAMES) | {define.alias for define in defines}
    loads = []
    for statement in statements:
        tokens = statement.tokens
        for index, token in enumerate(tokens):
            if token.upper == "LOAD" and index + 3 < len(tokens):
                load = _kinesis_load(tokens, index, names)
                if load is not None:
                    loads.append(load)
    return loads, defines


def _defines_loader(tokens: list[Token]) -> bool:
    return len(tokens) >= 3 and tokens[0].upper == "DEFINE" and tokens[2].text in _LOADER_NAMES


def _loader_arguments(
    tokens: list[Token], at: int
) -> tuple[tuple[tuple[str, int, int], ...], tuple[tuple[str, int], ...], int, int]:
    """The string arguments in the brackets opening at tokens[at] (if one does), the argument
    tokens holding a parameter, the offset just past the closing bracket (-1 without brackets)
    and the index of the token after it."""
    arguments: list[tuple[str, int, int]] = []
    parameters: list[tuple[str, int]] = []
    end = -1
    if at < len(tokens) and tokens[at].text == "(":
        depth = 0
        for position in range(at, len(tokens)):
            token = tokens[position]
            if token.text == "(":
                depth += 1
            elif token.text == ")":
                depth -= 1
                if depth == 0:
                    end, at = token.end, position + 1
                    break
            else:
                if "$" in token.text:
                    parameters.append((token.text, token.line))
                if token.kind == "string" and depth == 1:
                    arguments.append((unquote(token.text), token.start, token.end))
    return tuple(arguments), tuple(parameters), end, at


def _kinesis_load(tokens: list[Token], index: int, names: set[str]) -> KinesisLoad | None:
    path, using, loader = tokens[index + 1], tokens[index + 2], tokens[index + 3]
    if path.kind != "string" or using.upper != "USING":
        return None
    if loader.text not in names:
        return None
    arguments, parameters, end, at = _loader_arguments(tokens, index + 4)
    end = end if end >= 0 else loader.end
    schema: list[str] = []
    if at + 1 < len(tokens) and tokens[at].upper == "AS" and tokens[at + 1].text == "(":
        field_tokens: list[str] = []
        depth = 0
        for token in tokens[at + 1 :]:
            if token.text == "(":
                depth += 1
                if depth == 1:
                    continue
            elif token.text == ")":
                depth -= 1
                if depth == 0:
                    break
            if token.text == "," and depth == 1:
                schema.append("".join(field_tokens))
                field_tokens = []
            else:
                field_tokens.append(token.text)
        if field_tokens:
            schema.append("".join(field_tokens))
    return KinesisLoad(
        stream=unquote(path.text),
        line=path.line,
        start=path.start,
        end=end,
        arguments=arguments,
        schema=tuple(schema),
        parameters=parameters,
    )
