"""tests/deploy: the deployment files, validated without Docker or a Kubernetes cluster."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
