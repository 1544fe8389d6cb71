"""Identifiers with real check digits: resident ID (GB 11643), unified social credit code (GB 32100), card numbers
(Luhn), mobile numbers; and vectorised string assembly."""

from __future__ import annotations

import numpy as np

STR = np.dtypes.StringDType()

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))
_USCC_CHARS = np.array(list("0123456789ABCDEFGHJKLMNPQRTUWXY"))
_USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
_MOBILE_PREFIXES = np.array([130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 158, 159, 176, 177,
                             180, 181, 182, 186, 187, 188, 189, 198, 199])


def text(values: np.ndarray | list[str] | str) -> np.ndarray:
    return np.asarray(values).astype(STR)


def cat(*parts: np.ndarray | str) -> np.ndarray:
    """Element-wise concatenation of string arrays and scalars."""
    out = text(parts[0]) if not isinstance(parts[0], str) else np.asarray(parts[0], dtype=STR)
    for p in parts[1:]:
        out = np.strings.add(out, p if isinstance(p, str) else text(p))
    return out


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as zero-padded strings."""
    return np.strings.zfill(np.asarray(values, dtype=np.int64).astype(STR), width)


def _digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (np.asarray(values, dtype=np.int64)[:, None] // powers[None, :]) % 10


def resident_ids(area: np.ndarray, birth_yyyymmdd: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """18-character resident ID numbers: area code, birth date, sequence (odd = male), ISO 7064 check character."""
    body = np.concatenate(
        [_digit_matrix(area, 6), _digit_matrix(birth_yyyymmdd, 8), _digit_matrix(seq, 3)], axis=1
    )
    check = _ID_CHECK[(body @ _ID_WEIGHTS) % 11]
    return cat(digits(area, 6), digits(birth_yyyymmdd, 8), digits(seq, 3), check)


def unique_sequences(rng: np.random.Generator, keys: np.ndarray, modulo: int) -> np.ndarray:
    """Random sequence numbers in [0, modulo) that make (key, sequence) unique; keys must repeat < modulo times."""
    seq = rng.integers(0, modulo, size=len(keys))
    for _ in range(100):
        combined = np.asarray(keys, dtype=np.int64) * modulo + seq
        _, first = np.unique(combined, return_index=True)
        dup = np.ones(len(keys), dtype=bool)
        dup[first] = False  # keep the first holder of each value, redraw the others
        if not dup.any():
            return seq
        seq[dup] = rng.integers(0, modulo, size=int(dup.sum()))
    raise RuntimeError("could not draw unique sequence numbers")


def credit_codes(rng: np.random.Generator, area: np.ndarray) -> np.ndarray:
    """Unified social credit codes (统一社会信用代码): '91' + area + 9-character organisation code + check."""
    n = len(area)
    org = rng.integers(0, 31, size=(n, 9))
    org[:, :2] = rng.integers(0, 10, size=(n, 2))  # organisation codes mostly start with digits
    body = np.concatenate([np.tile([9, 1], (n, 1)), _digit_matrix(area, 6), org], axis=1)
    check = (31 - (body @ _USCC_WEIGHTS) % 31) % 31
    chars = _USCC_CHARS[np.concatenate([body, check[:, None]], axis=1)]
    out = chars[:, 0].astype(STR)
    for i in range(1, chars.shape[1]):
        out = np.strings.add(out, chars[:, i].astype(STR))
    return out


def luhn_numbers(prefix: str, serial: np.ndarray, width: int) -> np.ndarray:
    """Card numbers: ``prefix`` + zero-padded ``serial`` + Luhn check digit, ``width`` digits in all."""
    body_width = width - 1 - len(prefix)
    body = np.concatenate(
        [np.tile([int(c) for c in prefix], (len(serial), 1)), _digit_matrix(serial, body_width)], axis=1
    )
    # Double every second digit counting from the rightmost body digit (the check digit goes to its right).
    doubled = body.copy()
    positions = np.arange(body.shape[1])[::-1] % 2 == 0
    d = doubled[:, positions] * 2
    doubled[:, positions] = np.where(d > 9, d - 9, d)
    check = (10 - doubled.sum(axis=1) % 10) % 10
    return cat(prefix, digits(serial, body_width), check.astype(STR))


def luhn_valid(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def mobile_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = rng.choice(_MOBILE_PREFIXES, size=n)
    return cat(prefix.astype(STR), digits(rng.integers(0, 100_000_000, size=n), 8))


def resident_id_valid(number: str) -> bool:
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return number[17] == "10X98765432"[total % 11]
