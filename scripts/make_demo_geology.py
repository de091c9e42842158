"""Write the SYNTHETIC geological map and quarries of the fossil potential demo.

    python scripts/make_demo_geology.py FOLDER

See fossilgis/potential/demo.py: three straight bands, not geology, for docs/potential.md
and notebooks/impact_assessment.ipynb.
"""

import sys

from fossilgis.potential.demo import write_demo

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for path in write_demo(sys.argv[1]):
        print(f"wrote {path}")
