"""Tokenizer for Java ``DateTimeFormatter`` patterns (``yyyy-MM-dd'T'HH:mm``)."""

from __future__ import annotations

from dataclasses import dataclass

from tercel.errors import TemplateError

#: Letters Java accepts; every other ASCII letter is reserved and rejected.
PATTERN_LETTERS = frozenset("GuyDMLdQqYwWEecFaBhKkHmsSAnNVvzOXxZ")


@dataclass(frozen=True, slots=True)
class Token:
    """A run of one pattern letter (``yyyy`` → letter ``y``, count 4), or ``[``/``]``."""

    letter: str
    count: int


def tokenize(pattern: str) -> list[Token | str]:
    """Split a pattern into letter runs, literal strings and optional-section markers."""
    result: list[Token | str] = []
    index, length = 0, len(pattern)
    while index < length:
        char = pattern[index]
        if char == "'":
            end = index + 1
            literal: list[str] = []
            while True:
                if end >= length:
                    raise TemplateError(f"Pattern ends with an incomplete literal: {pattern}")
                if pattern[end] == "'":
                    if end + 1 < length and pattern[end + 1] == "'":
                        literal.append("'")
                        end += 2
                        continue
                    break
                literal.append(pattern[end])
                end += 1
            result.append("".join(literal) if end > index + 1 else "'")
            index = end + 1
        elif char in "[]":
            result.append(Token(char, 1))
            index += 1
        elif char.isascii() and char.isalpha():
            if char not in PATTERN_LETTERS:
                raise TemplateError(f"Unknown pattern letter: {char}")
            end = index
            while end < length and pattern[end] == char:
                end += 1
            result.append(Token(char, end - index))
            index = end
        elif char in "#{}":
            raise TemplateError(f"Pattern includes reserved character: '{char}'")
        else:
            result.append(char)
            index += 1
    return result
