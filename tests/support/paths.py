"""Where things are, for tests and benchmarks: the repository root and its folders."""
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = REPO / "benchmarks"
DOCS = REPO / "docs"
