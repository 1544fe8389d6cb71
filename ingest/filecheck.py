"""File-level checks of one extract file against its control file and contract, in a single streaming pass.

The pass hashes the file, checks that it decodes in the contract's encoding (naming the line of the first bad byte),
counts its records, compares the header, and writes what DuckDB will read:

- UTF-8 delimited files are read in place;
- GBK and GB18030 delimited files (the encoding the bank profile gives the system) are transcoded to a temporary
  UTF-8 file (DuckDB cannot read them);
- fixed-width files (GBK) are sliced by **byte** positions and written as a temporary UTF-8 file with one
  unit-separator (0x1F) between fields. Slicing is vectorised with numpy; records of the wrong length are set aside as
  rejected rows here, since no reader downstream could split them.

Records are lines: a line break inside a field is not allowed by the contract, so the record count of a file is its
number of lines (after the header).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO

import numpy as np

from contracts.contract import Contract
from contracts.control import ControlFileError, ControlRecord, read_control_file
from ingest.landing import link_text

CHUNK_BYTES = 16 * 1024 * 1024
FIXED_CHUNK_BYTES = 4 * 1024 * 1024  # smaller: irregular fixed-width blocks are gathered through an index array
FIELD_SEPARATOR = "\x1f"
_NL = 10
_CR = 13

# Row-level reason codes found while scanning (the loader adds the SQL-level ones).
EMPTY_LINE = "EMPTY_LINE"
ENCODING = "ENCODING"
RECORD_LENGTH = "RECORD_LENGTH"
SPLIT_CHARACTER = "SPLIT_CHARACTER"


@dataclass(frozen=True)
class SkippedLine:
    """A line that never reaches DuckDB, rejected while scanning."""

    line_number: int
    reason_code: str
    reason: str
    raw_text: str
    column_name: str | None = None


@dataclass
class ScannedFile:
    contract: Contract
    business_date: date
    data_path: Path
    control_path: Path
    control: ControlRecord | None = None
    control_file_md5: str | None = None
    byte_size: int | None = None
    md5: str | None = None
    lines: int = 0  # physical lines, header included
    data_lines: int = 0  # records: lines after the header
    counted: bool = False  # the content pass ran (lines and data_lines are known)
    read_path: Path | None = None  # the UTF-8 file DuckDB reads
    read_header: bool = False
    read_delimiter: str = ","
    read_quote: str = '"'
    skipped: list[SkippedLine] = field(default_factory=list)
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def temporary_read_path(self) -> bool:
        return self.read_path is not None and self.read_path != self.data_path


def _md5_bytes(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def scan_file(contract: Contract, business_date: date, data_path: Path, control_path: Path,
              work_dir: Path) -> ScannedFile:
    """Check ``data_path`` against ``control_path`` and ``contract``; ``problem`` names the first failure."""
    sf = ScannedFile(contract=contract, business_date=business_date, data_path=data_path, control_path=control_path)
    for path in (data_path, control_path):
        if path.is_symlink():  # never followed: the audit would record a target that may change or vanish
            sf.problem = f"{data_path.name}: {path.name} is {link_text(path)}"
            return sf
    has_control = control_path.is_file()
    if has_control:
        sf.control_file_md5 = _md5_bytes(control_path)
    if not data_path.is_file():
        sf.problem = (f"{data_path.name}: data file missing" + ("" if has_control else
                      f" (and its control file {control_path.name})"))
        return sf
    sf.byte_size = data_path.stat().st_size
    prerequisite = _control_problem(sf)
    if prerequisite is not None:
        sf.problem = prerequisite
        sf.md5 = _hash_only(data_path)
        return sf
    assert sf.control is not None
    if sf.byte_size != sf.control.byte_size:
        sf.problem = (f"{data_path.name}: byte size {sf.byte_size} differs from the control file's "
                      f"{sf.control.byte_size} (truncated or altered in transit)")
        sf.md5 = _hash_only(data_path)
        return sf
    _full_pass(sf, work_dir)
    return sf


def _control_problem(sf: ScannedFile) -> str | None:
    name = sf.data_path.name
    if not sf.control_path.is_file():
        return f"{name}: control file {sf.control_path.name} missing"
    try:
        sf.control = read_control_file(sf.control_path)
    except ControlFileError as exc:
        return f"{name}: control file unusable: {exc}"
    if sf.control.file_name != name:
        return f"{name}: control file {sf.control_path.name} describes {sf.control.file_name!r}, not this file"
    if sf.control.business_date != sf.business_date:
        return (f"{name}: control file {sf.control_path.name} is for business date "
                f"{sf.control.business_date:%Y%m%d}, the delivery is {sf.business_date:%Y%m%d}")
    return None


def _hash_only(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _blocks(fh: BinaryIO, digest: hashlib._Hash, size: int) -> Iterator[bytes]:
    """Blocks of whole lines (the last one may lack its line end); every byte read goes through ``digest``."""
    carry = b""
    while True:
        chunk = fh.read(size)
        if not chunk:
            if carry:
                yield carry
            return
        digest.update(chunk)
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
            continue
        carry = data[cut + 1:]
        yield data[: cut + 1] if carry else data


def _count_lines(block: bytes) -> int:
    return block.count(b"\n") + (0 if block.endswith(b"\n") else 1)


def _line_at(block: bytes, offset: int, first_line: int) -> tuple[int, int]:
    """1-based line number and byte column of ``offset`` in ``block`` whose first line is ``first_line``."""
    line = first_line + block.count(b"\n", 0, offset)
    column = offset - (block.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


class _Decoder:
    """Decodes blocks in the contract's encoding and remembers the first failure (file, line, byte)."""

    def __init__(self, sf: ScannedFile) -> None:
        self.sf = sf
        self.encoding = sf.contract.format.python_encoding
        self.failed: str | None = None
        # GBK check: text that decodes as UTF-8 too (with non-ASCII in it) was almost surely written as UTF-8.
        self.utf8_non_ascii = False
        self.chinese = sf.contract.format.chinese
        self.utf8_invalid = not self.chinese
        self.utf8_lines: dict[int, str] = {}  # of the last block decoded

    def decode(self, block: bytes, first_line: int) -> str | None:
        if self.failed is not None:
            return None
        try:
            text = block.decode(self.encoding)
        except UnicodeDecodeError as exc:
            if self.chinese:
                return self._decode_by_line(block, first_line)
            self._fail(block, exc.start, first_line)
            return None
        if self.chinese and not block.isascii():
            self.utf8_lines = {}
            for i, line in enumerate(block.decode("utf-8", errors="replace").split("\n")):
                if "\ufffd" in line:
                    self.utf8_invalid = True  # most lines of a GBK file: not valid UTF-8, so GBK
                elif not line.isascii():
                    self._classify(i, line)
        return text

    def _classify(self, i: int, as_utf8: str) -> None:
        """A non-ASCII line of a GBK file that is valid UTF-8 as well: UTF-8 Chinese, or GBK by chance."""
        if _written_as_utf8(as_utf8, self.encoding):
            self.utf8_non_ascii = True
            self.utf8_lines[i] = as_utf8.rstrip("\r")
        else:
            self.utf8_invalid = True

    def _fail(self, block: bytes, offset: int, first_line: int) -> None:
        line, column = _line_at(block, offset, first_line)
        bad = block[offset: offset + 4].hex(" ")
        self.failed = (f"{self.sf.data_path.name}: not valid {self.sf.contract.format.encoding.upper()} at line "
                       f"{line}, byte {column} (bytes {bad})")

    def _decode_by_line(self, block: bytes, first_line: int) -> str | None:
        """A GBK block that does not decode: a line that is UTF-8 is set aside (as when it decodes); bytes valid in
        neither encoding fail the file, at their line."""
        parts: list[str] = []
        self.utf8_lines = {}
        offset = 0
        for i, raw in enumerate(block.split(b"\n")):
            try:
                parts.append(raw.decode(self.encoding))
                if not raw.isascii():
                    as_utf8 = raw.decode("utf-8", errors="replace")
                    if "\ufffd" in as_utf8:
                        self.utf8_invalid = True
                    else:
                        self._classify(i, as_utf8)
            except UnicodeDecodeError as exc:
                try:
                    self.utf8_lines[i] = raw.decode("utf-8").rstrip("\r")
                    self.utf8_non_ascii = True
                except UnicodeDecodeError:
                    self.utf8_lines = {}
                    self._fail(block, offset + exc.start, first_line)
                    return None
                parts.append("")
            offset += len(raw) + 1
        return "\n".join(parts)

    def problem(self) -> str | None:
        if self.failed:
            return self.failed
        if not self.utf8_invalid and self.utf8_non_ascii:
            return (f"{self.sf.data_path.name}: the file is UTF-8 encoded but the contract says "
                    f"{self.sf.contract.format.encoding.upper()}")
        return None


# Chinese text and its punctuation: what a UTF-8 line of a Chinese extract holds beyond ASCII.
_NOT_CHINESE = re.compile("[^\x00-\x7f\u00b7\u2010-\u206f\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff"
                          "\uff00-\uffef]")


def _written_as_utf8(line: str, encoding: str = "gbk") -> bool:
    """Whether a line whose bytes are valid both as GBK and as UTF-8 was written as UTF-8.

    Short GBK text is often valid UTF-8 by chance (石雪一, CA AF D1 A9 D2 BB, reads as 'ʯѩһ'), but then its UTF-8
    reading is not Chinese. UTF-8 Chinese read as GBK, in turn, almost always gives characters outside GB2312 (杨静
    becomes 鏉ㄩ潤), where a bank's names and addresses rarely go. A line is UTF-8 when both hold.
    """
    if _NOT_CHINESE.search(line):
        return False
    try:
        line.encode("utf-8").decode(encoding).encode("gb2312")
    except UnicodeError:
        return True
    return False


def _full_pass(sf: ScannedFile, work_dir: Path) -> None:
    contract = sf.contract
    fmt = contract.format
    digest = hashlib.md5(usedforsecurity=False)
    decoder = _Decoder(sf)
    fixed = fmt.kind == "fixed_width"
    transcode = fixed or fmt.encoding != "utf-8"
    out_path = work_dir / (sf.data_path.name + ".utf8")
    converter = _FixedWidthConverter(sf) if fixed else None
    lines_done = 0
    last_byte = b""
    first_line_text: str | None = None
    out = out_path.open("wb") if transcode else None
    try:
        with sf.data_path.open("rb") as fh:
            for block in _blocks(fh, digest, FIXED_CHUNK_BYTES if fixed else CHUNK_BYTES):
                n = _count_lines(block)
                last_byte = block[-1:]
                text = decoder.decode(block, lines_done + 1)
                if lines_done == 0 and fmt.header and text is not None:
                    first_line_text = text.split("\n", 1)[0]
                if text is not None:
                    foreign, decoder.utf8_lines = decoder.utf8_lines, {}
                    if fmt.header and lines_done == 0:
                        foreign.pop(0, None)  # the header is checked against the contract's column names
                    if foreign:
                        sf.skipped.extend(_encoding_rejects(sf, foreign, lines_done))
                    if converter is not None:
                        converter.convert(block, lines_done, out, set(foreign))  # type: ignore[arg-type]
                    else:
                        sf.skipped.extend(_blank_lines(block, lines_done + 1))
                        if foreign:  # an empty line in its place: DuckDB skips it, the line numbers stay right
                            parts = text.split("\n")
                            for i in foreign:
                                parts[i] = ""
                            text = "\n".join(parts)
                        if out is not None:
                            out.write(text.encode("utf-8"))
                lines_done += n
    finally:
        if out is not None:
            out.close()
    sf.md5 = digest.hexdigest()
    sf.counted = True
    sf.lines = lines_done
    sf.data_lines = lines_done - (1 if fmt.header and lines_done > 0 else 0)
    sf.read_path = out_path if transcode else sf.data_path
    sf.read_header = fmt.header
    sf.read_delimiter = FIELD_SEPARATOR if fixed else fmt.delimiter  # type: ignore[assignment]
    sf.read_quote = "" if fixed else '"'
    assert sf.control is not None
    name = sf.data_path.name
    if sf.md5 != sf.control.md5:
        sf.problem = f"{name}: MD5 {sf.md5} differs from the control file's {sf.control.md5}"
    elif (decode_problem := decoder.problem()) is not None:
        sf.problem = decode_problem
    elif fmt.header and lines_done == 0:
        sf.problem = f"{name}: empty file, but the contract requires a header line"
    elif last_byte and last_byte != b"\n":
        # A writer cut short mid-record leaves a last line without its line end; its last field would load
        # truncated (an amount of 36832.0 for 368320.71) even when the control file was written after the cut.
        sf.problem = (f"{name}: the last line ({lines_done}) has no line end: the file was cut short "
                      f"(every record ends with a line break)")
    elif fmt.header and (header_problem := _header_problem(contract, first_line_text or "")) is not None:
        sf.problem = f"{name}: {header_problem}"
    elif sf.data_lines != sf.control.record_count:
        sf.problem = (f"{name}: {sf.data_lines} records in the file, the control file says "
                      f"{sf.control.record_count}")
    if sf.problem is not None:
        sf.skipped.clear()
        if transcode:
            out_path.unlink(missing_ok=True)
            sf.read_path = None


def _header_problem(contract: Contract, line: str) -> str | None:
    line = line.rstrip("\r").removeprefix(codecs.BOM_UTF8.decode("utf-8"))
    found = next(csv.reader([line], delimiter=contract.format.delimiter or ","), [])
    expected = list(contract.column_names)
    if found == expected:
        return None
    if len(found) != len(expected):
        return (f"header has {len(found)} columns, the contract {len(expected)}: "
                f"expected {','.join(expected)!r}, found {','.join(found)!r}")
    diffs = [f"column {i + 1} is {f!r}, the contract says {e!r}"
             for i, (f, e) in enumerate(zip(found, expected, strict=True)) if f != e]
    return "header does not match the contract: " + "; ".join(diffs[:5])


def _encoding_rejects(sf: ScannedFile, lines: dict[int, str], lines_done: int) -> list[SkippedLine]:
    encoding = sf.contract.format.encoding.upper()
    return [SkippedLine(lines_done + i + 1, ENCODING,
                        f"the line is UTF-8 encoded, the contract says {encoding} (it would load garbled)", text)
            for i, text in sorted(lines.items())]


def _blank_lines(block: bytes, first_line: int) -> list[SkippedLine]:
    """Empty lines (DuckDB skips them silently, so they are rejected here to keep the row accounting whole)."""
    found: list[SkippedLine] = []
    starts: list[int] = []
    if block.startswith(b"\n") or block.startswith(b"\r\n"):
        starts.append(0)
    for pattern in (b"\n\n", b"\n\r\n"):
        pos = block.find(pattern)
        while pos >= 0:
            starts.append(pos + 1)
            pos = block.find(pattern, pos + 1)
    for start in sorted(starts):
        line = first_line + block.count(b"\n", 0, start)
        found.append(SkippedLine(line, EMPTY_LINE, "empty line", ""))
    return found


class _FixedWidthConverter:
    """Slices fixed-width records by byte position (vectorised) into 0x1F-separated fields, transcoded to UTF-8."""

    def __init__(self, sf: ScannedFile) -> None:
        self.sf = sf
        contract = sf.contract
        self.encoding = contract.format.python_encoding
        self.width = contract.record_width
        self.columns = contract.columns  # output in contract order: DuckDB names the fields by position
        self.out_width = sum(c.width or 0 for c in self.columns) + len(self.columns)
        self.spans: list[tuple[int, int, int]] = []  # (source start, width, output offset)
        offset = 0
        for col in self.columns:
            self.spans.append(((col.start or 1) - 1, col.width or 0, offset))
            offset += (col.width or 0) + 1

    def convert(self, block: bytes, lines_done: int, out: BinaryIO, excluded: set[int]) -> None:
        """Slice the block's records into ``out``; ``excluded`` (0-based lines of the block) are rejected already."""
        buf = np.frombuffer(block, dtype=np.uint8)
        newlines = np.flatnonzero(buf == _NL)
        ends = newlines if block.endswith(b"\n") else np.append(newlines, len(buf))
        starts = np.zeros_like(ends)
        starts[1:] = ends[:-1] + 1
        lengths = ends - starts
        has_cr = (lengths > 0) & (buf[np.maximum(ends - 1, 0)] == _CR)
        lengths = lengths - has_cr
        good = lengths == self.width
        if excluded:
            good[sorted(excluded)] = False
        for i in np.flatnonzero(~good):
            if int(i) not in excluded:
                self._skip_length(block, lines_done + int(i) + 1, int(starts[i]), int(lengths[i]))
        if not good.any():
            return
        rows = self._gather(buf, starts, ends, good, block.endswith(b"\n"))
        line_numbers = np.flatnonzero(good) + lines_done + 1
        out_rows = np.empty((rows.shape[0], self.out_width), dtype=np.uint8)
        for src, width, dst in self.spans:
            out_rows[:, dst: dst + width] = rows[:, src: src + width]
            out_rows[:, dst + width] = 0x1F
        out_rows[:, -1] = _NL
        out.write(self._decode_rows(out_rows, line_numbers).encode("utf-8"))

    def _gather(self, buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, good: np.ndarray,
                terminated: bool) -> np.ndarray:
        n = len(starts)
        stride = int(ends[0] - starts[0]) + 1
        if terminated and good.all() and len(buf) == n * stride:
            # Every record has the same length and line end: a zero-copy reshape.
            return buf.reshape(n, stride)[:, : self.width]
        index = starts[good].astype(np.int64)[:, None] + np.arange(self.width, dtype=np.int64)
        return buf[index]

    def _decode_rows(self, out_rows: np.ndarray, line_numbers: np.ndarray) -> str:
        try:
            return out_rows.tobytes().decode(self.encoding)
        except UnicodeDecodeError:
            pass
        # A field boundary splits a double-byte character (the whole lines decoded): find and set aside those rows.
        keep = np.ones(out_rows.shape[0], dtype=bool)
        for i in range(out_rows.shape[0]):
            try:
                out_rows[i].tobytes().decode(self.encoding)
            except UnicodeDecodeError:
                keep[i] = False
                self._skip_split(out_rows[i], int(line_numbers[i]))
        return out_rows[keep].tobytes().decode(self.encoding)

    def _raw(self, data: bytes) -> str:
        return data.decode(self.encoding, errors="replace")

    def _skip_length(self, block: bytes, line: int, start: int, length: int) -> None:
        raw = block[start: start + length]
        if length == 0:
            self.sf.skipped.append(SkippedLine(line, EMPTY_LINE, "empty line", ""))
        else:
            self.sf.skipped.append(SkippedLine(
                line, RECORD_LENGTH, f"record is {length} bytes, the fixed-width layout needs {self.width}",
                self._raw(raw)))

    def _skip_split(self, row: np.ndarray, line: int) -> None:
        column = None
        for col, (_, width, dst) in zip(self.columns, self.spans, strict=True):
            try:
                row[dst: dst + width].tobytes().decode(self.encoding)
            except UnicodeDecodeError:
                column = col
                break
        name = column.name if column else None
        where = (f"{name} (bytes {column.start}-{(column.start or 0) + (column.width or 0) - 1})"
                 if column else "a field")
        raw = b"".join(row[dst: dst + w].tobytes() for _, w, dst in self.spans)
        self.sf.skipped.append(SkippedLine(
            line, SPLIT_CHARACTER,
            f"{where} starts or ends inside a double-byte {self.sf.contract.format.encoding.upper()} character",
            self._raw(raw), name))


def read_lines(path: Path, wanted: set[int], encoding: str) -> dict[int, str]:
    """The text of the given 1-based lines of ``path`` (undecodable bytes replaced), in one streaming pass."""
    found: dict[int, str] = {}
    if not wanted:
        return found
    remaining = sorted(wanted)
    idx = 0
    lines_done = 0
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        for block in _blocks(fh, digest, CHUNK_BYTES):
            n = _count_lines(block)
            if remaining[idx] <= lines_done + n:
                parts = block.split(b"\n")
                while idx < len(remaining) and remaining[idx] <= lines_done + n:
                    raw = parts[remaining[idx] - lines_done - 1]
                    found[remaining[idx]] = raw.rstrip(b"\r").decode(encoding, errors="replace")
                    idx += 1
                if idx == len(remaining):
                    break
            lines_done += n
    return found
