"""docs/techniques.md is generated from the rules' own examples and must stay fresh."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_techniques_page_is_fresh():
    script = os.path.join(ROOT, "scripts", "techniques_doc.py")
    done = subprocess.run([sys.executable, script, "--check"], capture_output=True, text=True)
    assert done.returncode == 0, "run `python scripts/techniques_doc.py` and commit docs/techniques.md"


def test_every_technique_names_an_example_that_exists():
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import techniques_doc

    from bot.rules import by_id
    from bot.rules.base import Invalid

    for _, _, ids, (rid, index) in techniques_doc.TECHNIQUES:
        assert rid in ids and all(i in by_id() for i in ids)
        assert len([e for e in by_id()[rid].examples if isinstance(e, Invalid)]) > index
