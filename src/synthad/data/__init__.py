"""Data sets: registry (URLs, checksums, layouts), download, layout adapters, index, demo, loader.

Sub-modules are imported where they are used (nothing is re-exported here) so that importing one
of them, e.g. the generated demo data set, never pulls in the others.
"""
