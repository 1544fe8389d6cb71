"""What one ingest run did, delivery by delivery, and its one-paragraph summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Outcomes of a delivery in one run (audit.deliveries only knows LOADED / REJECTED / SUPERSEDED).
LOADED = "LOADED"
ALREADY_LOADED = "ALREADY_LOADED"  # identical files already loaded: nothing done
REJECTED = "REJECTED"  # failed its checks (or the load failed and was rolled back)
REFUSED = "REFUSED"  # changed redelivery without --reload, or out of order
HELD = "HELD"  # an earlier delivery of the same system is not loaded

NOT_LOADED = frozenset({REJECTED, REFUSED, HELD})


@dataclass
class DeliveryOutcome:
    system: str
    business_date: date
    outcome: str
    reason: str | None = None
    batch_id: int | None = None
    replaced_batch_id: int | None = None
    files: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    seconds: float = 0.0
    recorded: bool = True  # False: same outcome as the last recorded attempt, so no new audit row
    warnings: list[str] = field(default_factory=list)  # volume and continuity of its files (``ingest.volume``)
    # a refusal decided but not yet written (set-based loading writes it with the batch it belongs to)
    audit_row: dict[str, object] | None = field(default=None, repr=False, compare=False)

    def line(self) -> str:
        head = f"{self.outcome:<14} {self.system:<10} {self.business_date:%Y-%m-%d}"
        if self.batch_id is not None:
            head += f" (batch {self.batch_id})"
        return head + (f": {self.reason}" if self.reason else "")


@dataclass
class IngestReport:
    outcomes: list[DeliveryOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def _with(self, *outcomes: str) -> list[DeliveryOutcome]:
        return [o for o in self.outcomes if o.outcome in outcomes]

    @property
    def loaded(self) -> list[DeliveryOutcome]:
        return self._with(LOADED)

    @property
    def already_loaded(self) -> list[DeliveryOutcome]:
        return self._with(ALREADY_LOADED)

    @property
    def rejected(self) -> list[DeliveryOutcome]:
        """Every delivery that is not loaded after this run: rejected, refused or held."""
        return self._with(*NOT_LOADED)

    @property
    def rows_loaded(self) -> int:
        return sum(o.rows_loaded for o in self.loaded)

    @property
    def rows_rejected(self) -> int:
        return sum(o.rows_rejected for o in self.outcomes if o.outcome in (LOADED, REJECTED) and o.recorded)

    def summary(self) -> str:
        counts = {k: len(self._with(k)) for k in (LOADED, ALREADY_LOADED, REJECTED, REFUSED, HELD)}
        rate = self.rows_loaded / self.seconds if self.seconds > 0 else 0.0
        text = (
            f"ingest: {counts[LOADED]} deliveries loaded, {counts[ALREADY_LOADED]} already loaded (skipped), "
            f"{counts[REJECTED]} rejected, {counts[REFUSED]} refused, {counts[HELD]} held; "
            f"{self.rows_loaded:,} rows loaded, {self.rows_rejected:,} rows rejected; "
            f"{self.seconds:.1f} s, {rate:,.0f} rows/s"
        )
        lines = [text]
        lines += [f"  {o.line()}" for o in self.outcomes if o.outcome in NOT_LOADED]
        lines += [f"  {o.line()}" for o in self.loaded if o.rows_rejected]
        lines += [f"  warning: {o.system} {o.business_date:%Y-%m-%d}: {w}" for o in self.loaded for w in o.warnings]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)
