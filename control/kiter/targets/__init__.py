"""Engine targets: HiveServer2 through PyHive and EMR steps; a small shared protocol (base.py).

Targets run script text and report outcomes; they know nothing of the ledger or of rendering.
"""
