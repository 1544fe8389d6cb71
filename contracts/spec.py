"""Render the human-readable extract specification (docs/extracts.md) from the machine-readable contracts."""

from __future__ import annotations

from contracts.contract import CONTRACTS_DIR, Column, Contract, ContractSet, load_contracts

_HEADER = """\
# Extract specification (数据下发接口规范)

Generated from `contracts/` by `crmwh contracts --write docs/extracts.md`; do not edit by hand
(`make lint` fails when this file and the contracts disagree).

## Delivery

- A delivery is one source system's files for one business date, in a folder `landing/<system>/<YYYYMMDD>/`.
- Every data file comes with a control file (标志文件) of the same name ending in `.flg`, one ASCII line:
  `<data file name>|<business date YYYYMMDD>|<record count>|<byte size>|<md5 hex>`. The record count excludes a header.
  A data file without its control file, or not matching it, is not loaded — and neither is the rest of its delivery.
- The bank profile (`contracts/bank.yaml`, [docs/onboarding.md](onboarding.md)) says which systems and extracts the
  bank delivers, each system's file encoding and business-day calendar, and which extracts come only on change.
  `daily` extracts come every business day of the system's calendar; `month_end` extracts on the last business day
  of each month. An extract sent `on change` may be absent from a delivery: absent means unchanged.
- Currencies are not a code list: the bank's currencies are those its FX extract (`ref.exchange_rates`) delivers,
  and every currency column is a foreign key to it. Amounts converted to the reporting currency (the profile's
  `reporting_currency`) are in columns ending `_cny`, whatever that currency is.
- `full` extracts are a complete snapshot each time; `incremental` ones carry what was new or changed that date
  (the first delivery of an incremental extract carries everything).
- Amounts are exact decimals with a point (`1234.50`, `-12.00`); fixed-width amounts are signed and zero-padded
  (`+00000001234567.89`). Empty fields are NULL.
- Delimited files have no quoting unless a field contains the delimiter, a quote or a line break, in which case it is
  enclosed in double quotes with inner quotes doubled (RFC 4180). Lines end in `\\n`, the last line too: a file
  whose last line has no line end is rejected as cut short.
- Numbers carry a plausible range (`min … max` beside the type): a valid number outside it is a rejected row
  (`RANGE`), so that one absurd amount is named at ingest rather than overflowing a sum in the build.
- Columns marked PII hold personal data: the rejected lines kept in `audit.rejected_rows` show them masked.
- Columns marked *Optional* may be missing from a bank's extract when its profile lists them in `optional_fields`:
  the empty field is loaded as the documented default (or left empty), and the description says what the warehouse
  derives instead. Every other `null: no` column is required.
"""


def _type_text(col: Column) -> str:
    if col.type == "decimal":
        text = f"decimal({col.precision},{col.scale})"
    elif col.type == "string" and col.length:
        text = f"string({col.length})"
    else:
        text = col.type
    if col.minimum is not None or col.maximum is not None:
        low = "" if col.minimum is None else f"{col.minimum:,}"
        high = "" if col.maximum is None else f"{col.maximum:,}"
        text += f", {low} … {high}"
    if col.pii:
        text += ", PII"
    return text


def _codes_text(col: Column) -> str:
    if not col.codes:
        return ""
    return "; ".join(f"`{k}` {v}" for k, v in col.codes.items())


def _missing_text(col: Column) -> str:
    rule = col.if_missing
    if rule is None:
        return ""
    how = (f"loaded as `{rule.default}`" + (f" ({rule.label})" if rule.label else "") if rule.default is not None
           else "loaded empty")
    state = " — **the bank does not send it** (bank profile)" if col.fill is not None or (
        rule.default is None and col.nullable) else ""
    return f". *Optional* (bank profile `optional_fields`): {how}. {rule.derivation}{state}"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _render_contract(c: Contract) -> list[str]:
    fmt = c.format
    if fmt.kind == "fixed_width":
        layout = f"fixed width, {c.record_width} bytes a record, byte positions"
    else:
        layout = f"delimited by `{fmt.delimiter}`, {'a header line' if fmt.header else 'no header'}"
    lines = [
        f"### `{c.file}` — {c.system}.{c.extract}",
        "",
        _escape(c.description),
        "",
        f"- Encoding **{fmt.encoding.upper()}**, {layout}; dates `{fmt.date_format}`.",
        f"- Frequency `{c.frequency}`{' (sent only on change)' if c.on_change else ''}, load type `{c.load_type}`; "
        f"raw table `raw.{c.raw_table}`; calendar `{c.calendar.name}`"
        f"{'' if c.delivered else '; **not delivered by this bank** (bank profile)'}.",
        f"- Primary key: {', '.join(f'`{k}`' for k in c.primary_key)}.",
    ]
    for fk in c.foreign_keys:
        lines.append(
            f"- Foreign key: {', '.join(fk.columns)} → {fk.ref_key} ({', '.join(fk.ref_columns)})."
        )
    if c.stable_columns:
        lines.append(f"- Never change for a loaded {', '.join(c.primary_key)}: "
                     f"{', '.join(f'`{k}`' for k in c.stable_columns)} (a row that changes them is rejected as a "
                     "reused key, `IDENTITY_CHANGED`).")
    if not c.volume_check:
        lines.append("- Arrives in bursts: left out of the volume and continuity warnings.")
    lines.append(f"- A delivery fails when more than {c.max_reject_ratio:.0%} of a file's rows are rejected.")
    lines.append("")
    if fmt.kind == "fixed_width":
        lines += ["| # | column | type | bytes | null | description | codes |", "|---|---|---|---|---|---|---|"]
    else:
        lines += ["| # | column | type | null | description | codes |", "|---|---|---|---|---|---|"]
    for i, col in enumerate(c.columns, 1):
        null = "yes" if col.nullable else "no"
        cells = [str(i), f"`{col.name}`", _type_text(col)]
        if fmt.kind == "fixed_width":
            cells.append(f"{col.start}–{(col.start or 0) + (col.width or 0) - 1}")
        cells += [null, _escape(col.description + _missing_text(col)), _escape(_codes_text(col))]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def render_spec(contracts: ContractSet | None = None) -> str:
    cs = contracts or load_contracts(CONTRACTS_DIR)
    out = [_HEADER]
    if cs.profile is not None:
        out.append(f"Bank profile: {_escape(cs.profile.bank)}; reporting currency **{cs.profile.reporting_currency}**; "
                   f"calendar `{cs.profile.calendar.name}`.\n")
    out.append("## Systems\n")
    out.append("| system | delivers | extracts |")
    out.append("|---|---|---|")
    for system in cs.systems:
        names = ", ".join(f"`{c.extract}`" for c in cs.load_order(system))
        out.append(f"| `{system}` | {_escape(cs.system_descriptions.get(system, ''))} | {names} |")
    out.append("")
    for system in cs.systems:
        out.append(f"## System `{system}`\n")
        for c in cs.load_order(system):
            out.extend(_render_contract(c))
    return "\n".join(out).rstrip("\n") + "\n"
