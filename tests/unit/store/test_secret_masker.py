"""Secret values never appear in log lines."""

from __future__ import annotations

from tercel.secrets.masking import MASK, SecretMasker


def test_registered_values_are_masked_everywhere_in_a_line() -> None:
    masker = SecretMasker()
    masker.add("s3cr3t")
    assert masker.mask("token=s3cr3t and again s3cr3t.") == f"token={MASK} and again {MASK}."


def test_a_secret_containing_another_is_masked_whole() -> None:
    masker = SecretMasker(["abc", "abcdef"])
    assert masker.mask("xabcdefx abc") == f"x{MASK}x {MASK}"


def test_regex_characters_in_a_secret_are_literal() -> None:
    masker = SecretMasker(["p@ss.w*rd(1)"])
    assert masker.mask("pw: p@ss.w*rd(1)") == f"pw: {MASK}"
    assert masker.mask("pass-word11") == "pass-word11"


def test_each_line_of_a_multiline_secret_is_masked() -> None:
    masker = SecretMasker(["-----BEGIN KEY-----\nAAAABBBB\n-----END KEY-----"])
    assert "AAAABBBB" not in masker.mask("line: AAAABBBB")


def test_empty_values_are_ignored_and_text_is_untouched_without_secrets() -> None:
    masker = SecretMasker()
    masker.add("")
    masker.add(None)
    assert len(masker) == 0
    assert masker.mask("nothing to hide") == "nothing to hide"


def test_long_text_with_many_secrets_is_masked() -> None:
    secrets = [f"secret-value-{i:04d}" for i in range(200)]
    masker = SecretMasker(secrets)
    text = ("noise " * 1000 + "secret-value-0150 ") * 50
    masked = masker.mask(text)
    assert "secret-value" not in masked
    assert masked.count(MASK) == 50
