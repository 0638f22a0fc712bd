import sys

from pca_import.integrations.cli import main

sys.exit(main())
