"""app.core is pure numpy: importing it pulls in no web framework."""

import subprocess
import sys


def test_core_imports_no_web_framework() -> None:
    code = (
        "import sys, app.core\n"
        "web = {'fastapi', 'starlette', 'jinja2', 'pydantic', 'uvicorn', 'orjson'}\n"
        "print(sorted(web & {m.split('.')[0] for m in sys.modules}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
