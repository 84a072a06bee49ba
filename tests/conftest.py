import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
CORPUS = os.path.join(SHARED, "corpus", "dockerfiles")


def corpus_files() -> list[str]:
    if not os.path.isdir(CORPUS):
        return []
    return sorted(os.path.join(CORPUS, f) for f in os.listdir(CORPUS) if f.endswith("Dockerfile"))


requires_corpus = pytest.mark.skipif(not os.path.isdir(CORPUS), reason=f"corpus not found at {CORPUS}")
