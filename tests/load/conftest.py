"""The load proof runs the workload of ``bench/load_mixed.py`` (one generator for the bench and
the test); test modules cannot import it, so this fixture loads it by path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

GENERATOR = Path(__file__).resolve().parents[2] / "bench" / "load_mixed.py"


@pytest.fixture(scope="session")
def workload():
    name = "mms_bench_load_mixed"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, GENERATOR)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
