"""The Superset import bundle: cubes and dashboards written as Superset's v1 export files.

The bundle (``metadata.yaml``, ``databases/``, ``datasets/``, ``charts/``, ``dashboards/``) references the warehouse
by its fixed UUID and carries a placeholder URI only: Superset's importer keeps an existing database with that UUID
untouched, and bootstrap registers the warehouse (read-only) before importing. Every UUID is derived from a name
(``charts.asset_uuid``), so regenerating gives identical files.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import yaml

from dashboards.boards import dashboards
from dashboards.charts import Chart, Dashboard, asset_uuid
from dashboards.cubes import Cube, CubeError, load_cubes

ASSETS_DIR = Path(__file__).resolve().parent / "assets" / "bundle"
# Same derivation as dashboards.settings.WAREHOUSE_DATABASE_UUID (kept free of that import for the generator).
DATABASE_UUID = str(uuid.uuid5(uuid.NAMESPACE_URL, "crmwh:superset:database:warehouse"))
VERSION = "1.0.0"
# Fixed so that the generated files do not change from run to run.
TIMESTAMP = "2026-01-01T00:00:00+00:00"


class BundleError(CubeError):
    """A dashboard, chart or filter definition is inconsistent (the message names it); nothing is written."""


def native_filters(dashboard: Dashboard, cubes: dict[str, Cube]) -> list[dict[str, Any]]:
    """The dashboard's filters; a filter on a column targets the first cube of the dashboard that has it."""
    used = [cubes[name] for name in dict.fromkeys(chart.cube for chart in dashboard.charts)]
    out: list[dict[str, Any]] = []
    ids: dict[str, str] = {}
    for filt in dashboard.filters:
        filter_id = f"NATIVE_FILTER-{dashboard.slug}-{filt.key}"
        if filt.parent is not None and filt.parent.key not in ids:
            raise BundleError(
                f"dashboard {dashboard.slug}: filter {filt.key!r} cascades from {filt.parent.key!r}, "
                "which must come before it"
            )
        base = {
            "id": filter_id,
            "name": filt.title,
            "type": "NATIVE_FILTER",
            "description": "",
            "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
            "cascadeParentIds": [ids[filt.parent.key]] if filt.parent else [],
            "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
        }
        ids[filt.key] = filter_id
        if filt.column is None:
            out.append({**base, "filterType": "filter_time", "targets": [{}], "controlValues": {}})
            continue
        target = next((cube for cube in used if any(c.name == filt.column for c in cube.columns)), None)
        if target is None:
            raise BundleError(
                f"dashboard {dashboard.slug}: filter {filt.key!r} needs the column {filt.column!r}, "
                f"which none of its cubes has ({', '.join(cube.name for cube in used)})"
            )
        if filt.default:
            base["defaultDataMask"] = {
                "extraFormData": {"filters": [{"col": filt.column, "op": "IN", "val": list(filt.default)}]},
                "filterState": {"value": list(filt.default), "label": ", ".join(filt.default)},
                "ownState": {},
            }
        out.append(
            {
                **base,
                "filterType": "filter_select",
                "targets": [{"datasetUuid": asset_uuid("dataset", target.name), "column": {"name": filt.column}}],
                "controlValues": {
                    "enableEmptyFilter": False,
                    "defaultToFirstItem": False,
                    "multiSelect": True,
                    "searchAllOptions": False,
                    "inverseSelection": False,
                },
            }
        )
    return out


def dataset_yaml(cube: Cube) -> dict[str, Any]:
    return {
        "table_name": cube.name,
        "main_dttm_col": cube.time_column,
        "description": cube.description,
        "default_endpoint": None,
        "offset": 0,
        "cache_timeout": None,
        "catalog": None,
        "schema": "main",
        "sql": cube.sql,
        "params": None,
        "template_params": None,
        "filter_select_enabled": True,
        "fetch_values_predicate": None,
        "extra": {"certification": {"certified_by": "crmwh dbt yml", "details": cube.source}},
        "normalize_columns": False,
        "always_filter_main_dttm": False,
        "uuid": asset_uuid("dataset", cube.name),
        "metrics": [
            {
                "metric_name": m.name,
                "verbose_name": m.verbose_name,
                "metric_type": None,
                "expression": m.expression,
                "description": f"{m.en} ({m.unit})",
                "d3format": m.d3format,
                "currency": {"symbol": "CNY", "symbolPosition": "prefix"} if m.unit == "yuan" else None,
                "extra": {},
                "warning_text": None,
            }
            for m in cube.metrics
        ],
        "columns": [
            {
                "column_name": c.name,
                "verbose_name": c.zh,
                "is_dttm": c.is_dttm,
                "is_active": True,
                "type": c.type,
                "advanced_data_type": None,
                "groupby": True,
                "filterable": True,
                "expression": None,
                "description": c.description,
                "python_date_format": None,
                "extra": {},
            }
            for c in cube.columns
        ],
        "version": VERSION,
        "database_uuid": DATABASE_UUID,
    }


def chart_yaml(chart: Chart) -> dict[str, Any]:
    params = {**chart.params, "datasource": "0__table", "slice_id": None}
    query_context = {
        "datasource": {"id": 0, "type": "table"},
        "force": False,
        "queries": [chart.query],
        "form_data": params,
        "result_format": "json",
        "result_type": "full",
    }
    return {
        "slice_name": chart.title_zh,
        "description": chart.title_en,
        "certified_by": None,
        "certification_details": None,
        "viz_type": chart.viz_type,
        "params": params,
        "query_context": json.dumps(query_context, ensure_ascii=False, sort_keys=True),
        "cache_timeout": None,
        "uuid": chart.uuid,
        "version": VERSION,
        "dataset_uuid": asset_uuid("dataset", chart.cube),
    }


def position(dashboard: Dashboard) -> dict[str, Any]:
    pos: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
        "HEADER_ID": {"id": "HEADER_ID", "type": "HEADER", "meta": {"text": dashboard.title_zh}},
    }
    for r, row in enumerate(dashboard.rows, start=1):
        row_id = f"ROW-{r}"
        pos["GRID_ID"]["children"].append(row_id)
        pos[row_id] = {
            "type": "ROW",
            "id": row_id,
            "children": [],
            "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }
        for chart in row:
            chart_id = f"CHART-{chart.key}"
            pos[row_id]["children"].append(chart_id)
            pos[chart_id] = {
                "type": "CHART",
                "id": chart_id,
                "children": [],
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                # chartId is a placeholder the importer replaces with the imported chart's id (found by uuid).
                "meta": {
                    "width": 12 // len(row),  # a row always fills the 12-column grid
                    "height": chart.height,
                    "chartId": len(pos),
                    "uuid": chart.uuid,
                    "sliceName": chart.title_zh,
                },
            }
    return pos


def dashboard_yaml(dashboard: Dashboard, cubes: dict[str, Cube]) -> dict[str, Any]:
    return {
        "dashboard_title": dashboard.title_zh,
        "description": f"{dashboard.title_en}: {dashboard.description}",
        "css": "",
        "slug": dashboard.slug,
        "certified_by": None,
        "certification_details": None,
        "published": True,
        "uuid": dashboard.uuid,
        "position": position(dashboard),
        "metadata": {
            "native_filter_configuration": native_filters(dashboard, cubes),
            "cross_filters_enabled": True,
            "global_chart_configuration": {"scope": {"rootPath": ["ROOT_ID"], "excluded": []}, "chartsInScope": []},
            "chart_configuration": {},
            "color_scheme": "supersetColors",
            "refresh_frequency": 0,
            "expanded_slices": {},
            "label_colors": {},
            "shared_label_colors": [],
            "timed_refresh_immune_slices": [],
            "default_filters": "{}",
        },
        "version": VERSION,
    }


def database_yaml() -> dict[str, Any]:
    # Placeholder: the importer returns the existing database with this UUID (registered by bootstrap) unchanged.
    return {
        "database_name": "crmwh",
        "sqlalchemy_uri": "duckdb:///:memory:",
        "cache_timeout": None,
        "expose_in_sqllab": True,
        "allow_run_async": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "allow_file_upload": False,
        "extra": {"engine_params": {"connect_args": {"read_only": True}}},
        "uuid": DATABASE_UUID,
        "version": VERSION,
    }


def bundle_files(cubes: dict[str, Cube] | None = None) -> dict[str, str]:
    """Path inside the bundle → YAML text, for every asset."""
    cubes = cubes or load_cubes()
    boards = dashboards(cubes)

    def dump(data: dict[str, Any]) -> str:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)

    files = {
        "metadata.yaml": dump({"version": VERSION, "type": "Dashboard", "timestamp": TIMESTAMP}),
        "databases/crmwh.yaml": dump(database_yaml()),
    }
    for cube in cubes.values():
        files[f"datasets/crmwh/{cube.name}.yaml"] = dump(dataset_yaml(cube))
    keys: set[str] = set()
    for board in boards:
        for chart in board.charts:
            if chart.key in keys:
                raise BundleError(f"chart key {chart.key!r} is used twice")
            keys.add(chart.key)
            files[f"charts/{chart.key}.yaml"] = dump(chart_yaml(chart))
        files[f"dashboards/{board.slug}.yaml"] = dump(dashboard_yaml(board, cubes))
    return files


def write_bundle(target: Path = ASSETS_DIR) -> dict[str, str]:
    files = bundle_files()
    if target.exists():
        shutil.rmtree(target)
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return files


def read_bundle(source: Path = ASSETS_DIR) -> dict[str, str]:
    return {str(path.relative_to(source)): path.read_text(encoding="utf-8") for path in sorted(source.rglob("*.yaml"))}


def check_bundle(source: Path = ASSETS_DIR) -> list[str]:
    """The bundle files that are missing from, differ in or are extra in ``source``: empty when it is up to date."""
    expected = bundle_files()
    actual = read_bundle(source) if source.exists() else {}
    return sorted(name for name in expected.keys() | actual.keys() if expected.get(name) != actual.get(name))
