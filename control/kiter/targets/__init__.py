"""Engine targets behind one small protocol (base.py): HiveServer2 through PyHive, local Pig,
and the remote AWS targets (EMR steps, EMR Serverless) on one skeleton (remote.py).

Targets run script text and report outcomes; they know nothing of the ledger or of rendering.
"""
