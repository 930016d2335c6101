"""``python -m event_contracts export DIR``: write every contract as a self-contained JSON Schema.

``python -m event_contracts list`` prints the known event types and versions.
"""

from __future__ import annotations

import sys
from pathlib import Path

from event_contracts import all_contracts, export_json_schemas


def main(argv: list[str]) -> int:
    if len(argv) >= 1 and argv[0] == "list":
        for item in all_contracts():
            print(f"{item.producer:10} {item.event_type} v{item.version}")
        return 0
    if len(argv) == 2 and argv[0] == "export":
        for path in export_json_schemas(Path(argv[1])):
            print(path)
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
