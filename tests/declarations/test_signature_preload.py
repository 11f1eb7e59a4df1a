"""A web process imports its signature backend at startup, not on the first sign it serves."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wsgi_application_loads_the_signature_backend():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, config.wsgi; print('pyhanko.sign.validation' in sys.modules)"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "SIGNATURE_BACKEND": "cms"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "True", loaded.stderr
