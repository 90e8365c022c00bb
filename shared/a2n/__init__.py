"""A2N: a serverless workflow-automation backend.

The package is shipped as the first-party Lambda layer (/opt/python/a2n). Importing it does
nothing beyond definitions: no environment reads, no connections, no network.
"""

__version__ = "0.1.0"
