"""`python -m pca_import.aws.emulator [--port N]`: the local Private CA emulator."""
import sys

from pca_import.aws.emulator.server import main

sys.exit(main())
