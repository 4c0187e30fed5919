from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
