import sys
from pathlib import Path

# The toy service used to exercise servicekit lives beside these tests.
sys.path.insert(0, str(Path(__file__).parent))
