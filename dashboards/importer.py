"""Import the generated bundle (dashboards/assets/bundle) into Superset; safe to repeat (runs in app context).

Superset's dashboard import only creates missing datasets and charts (it imports them with overwrite off), so the
datasets, the charts and then the dashboards are imported by their own commands, each overwriting what exists:
a changed yml reaches Superset on the next start. Assets are matched by UUID, never duplicated.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from dashboards.bundle import ASSETS_DIR, read_bundle
from dashboards.errors import SupersetSetupError

log = logging.getLogger("crmwh.superset.importer")


def import_bundle(admin_user: str, source: Path = ASSETS_DIR) -> list[Any]:
    """Import everything; returns the warehouse datasets of the bundle (SqlaTable objects)."""
    from flask import g
    from superset.commands.chart.importers.v1 import ImportChartsCommand
    from superset.commands.dashboard.importers.v1 import ImportDashboardsCommand
    from superset.commands.dataset.importers.v1 import ImportDatasetsCommand
    from superset.connectors.sqla.models import SqlaTable
    from superset.extensions import db, security_manager

    contents = read_bundle(source)
    if "metadata.yaml" not in contents:
        raise SupersetSetupError(f"{source} holds no bundle: run `crmwh assets` first")
    user = security_manager.find_user(username=admin_user)
    if user is None:
        raise SupersetSetupError(f"the admin user {admin_user!r} does not exist yet")
    g.user = user

    def with_type(kind: str, keep: tuple[str, ...]) -> dict[str, str]:
        picked = {k: v for k, v in contents.items() if k.startswith(keep)}
        picked["metadata.yaml"] = contents["metadata.yaml"].replace("type: Dashboard", f"type: {kind}")
        return picked

    ImportDatasetsCommand(with_type("SqlaTable", ("databases/", "datasets/")), overwrite=True).run()
    ImportChartsCommand(with_type("Slice", ("databases/", "datasets/", "charts/")), overwrite=True).run()
    ImportDashboardsCommand(contents, overwrite=True).run()

    import yaml

    uuids = [uuid.UUID(yaml.safe_load(text)["uuid"]) for name, text in contents.items() if name.startswith("datasets/")]
    datasets = db.session.query(SqlaTable).filter(SqlaTable.uuid.in_(uuids)).all()
    for dataset in datasets:
        # Real column types from the warehouse (dates, decimals): keeps the yml names and descriptions.
        try:
            dataset.fetch_metadata()
        except Exception as exc:  # the warehouse may not be built yet; the datasets still work once it is
            log.warning("dataset %s: column types not refreshed (%s)", dataset.table_name, exc)
    db.session.commit()
    return datasets
