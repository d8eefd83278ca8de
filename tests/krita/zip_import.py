"""Runs INSIDE real Krita via `kritarunner -s zip_import -f main ZIP RESOURCES_DIR OUT_JSON`:
imports the plugin zip with Krita's own importer (the code behind Tools › Scripts › Import
Python Plugin from File, /usr/share/krita/pykrita/plugin_importer) into RESOURCES_DIR."""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any, Dict, List


def main(args: List[str]) -> None:
    zip_path, resources, out = args[0], args[1], args[2]
    result: Dict[str, Any] = {}
    try:
        sys.path.insert(0, "/usr/share/krita/pykrita")
        from plugin_importer.plugin_importer import PluginImporter

        overwrite: List[str] = []

        def confirm(plugin: Dict[str, Any]) -> bool:
            overwrite.append(plugin["name"])
            return True

        imported = PluginImporter(zip_path, resources, confirm).import_all()
        result["imported"] = [p["name"] for p in imported]
        result["ui_names"] = [p["ui_name"] for p in imported]
        result["overwrite_asked"] = overwrite
    except Exception:
        result["error"] = traceback.format_exc()
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f)
