"""Engine targets behind one small protocol (base.py): HiveServer2 through PyHive, the local
engines (Pig, Hadoop) on one skeleton (localrun.py), and the remote AWS targets (EMR steps, EMR
Serverless) on another (remote.py).

Targets run script text and report outcomes; they know nothing of the ledger or of rendering.
"""
