import sys
from pathlib import Path

# lets tests import examples_path (the examples folder is not a package)
sys.path.insert(0, str(Path(__file__).parent))
